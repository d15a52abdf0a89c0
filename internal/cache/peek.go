package cache

import (
	"context"
	"time"
)

// Peek returns the entry stored under key when it is fresh, and reports
// whether there is one. It never fills, takes no fill lock and counts no
// status: it is for a caller that can use a fresh entry when one happens to
// be cached and would otherwise do something else than fill this key (ask
// another key, or the upstream for less). A stale entry, a missing one and
// a backend failure all read as none.
//
// expires is when the entry stops being fresh, on the Cache's clock (see
// Now): a value derived from the entry must not be used past it.
func (c *Cache) Peek(ctx context.Context, key string) (e Entry, expires time.Time, ok bool) {
	if key == "" || ctx.Err() != nil {
		return Entry{}, time.Time{}, false
	}
	e, found := c.lookup(ctx, key, false)
	if !found || !e.fresh(c.now()) {
		return Entry{}, time.Time{}, false
	}
	return e, e.StoredAt.Add(e.FreshFor), true
}

// Now is the Cache's clock, which freshness and Peek's expiry are read on.
func (c *Cache) Now() time.Time { return c.now() }
