package events

import (
	"context"
	"sort"
	"sync"
	"time"

	"switchboard/internal/domain"
)

// MemoryLog is the Log of a single replica without Redis. Ids take the
// injected clock's milliseconds, never going back when the clock does, and
// a sequence within one millisecond, as Redis Streams number entries.
type MemoryLog struct {
	now  func() time.Time
	keep time.Duration

	mu       sync.Mutex
	accounts map[string]*memoryStream
}

type memoryStream struct {
	events []Event
	last   id
	// changed is closed, and replaced, at every append: Wait's notify.
	changed chan struct{}
}

// NewMemoryLog returns an empty log that keeps events for keep (DefaultKeep
// when zero or less), reading time from now (time.Now when nil).
func NewMemoryLog(now func() time.Time, keep time.Duration) *MemoryLog {
	if now == nil {
		now = time.Now
	}
	if keep <= 0 {
		keep = DefaultKeep
	}
	return &MemoryLog{now: now, keep: keep, accounts: make(map[string]*memoryStream)}
}

// stream returns account's stream, creating it; l.mu must be held.
func (l *MemoryLog) stream(account string) *memoryStream {
	s, ok := l.accounts[account]
	if !ok {
		s = &memoryStream{changed: make(chan struct{})}
		l.accounts[account] = s
	}
	return s
}

// Append implements Log. It drops the events older than the keep window,
// as XADD's MINID does on Redis.
func (l *MemoryLog) Append(ctx context.Context, account string, typ Type, call domain.Call) (Event, error) {
	if err := ctx.Err(); err != nil {
		return Event{}, err
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stream(account)
	next := id{ms: uint64(max(now.UnixMilli(), 0))}
	if !s.last.less(next) {
		next = id{ms: s.last.ms, seq: s.last.seq + 1}
	}
	s.last = next
	e := Event{ID: next.String(), Type: typ, CreatedAt: next.time(), Data: call}
	minID := id{ms: uint64(max(now.Add(-l.keep).UnixMilli(), 0))}
	drop := sort.Search(len(s.events), func(i int) bool {
		x, _ := parseID(s.events[i].ID)
		return !x.less(minID)
	})
	s.events = append(s.events[drop:], e)
	close(s.changed)
	s.changed = make(chan struct{})
	return e, nil
}

// Read implements Log.
func (l *MemoryLog) Read(ctx context.Context, account, afterID string, limit int) ([]Event, error) {
	events, _, err := l.read(ctx, account, afterID, limit)
	return events, err
}

// read returns the events after afterID and the channel closed at the next
// append.
func (l *MemoryLog) read(ctx context.Context, account, afterID string, limit int) ([]Event, <-chan struct{}, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	after := id{}
	if afterID != "" {
		var err error
		if after, err = parseID(afterID); err != nil {
			return nil, nil, err
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stream(account)
	from := sort.Search(len(s.events), func(i int) bool {
		x, _ := parseID(s.events[i].ID)
		return after.less(x)
	})
	n := min(len(s.events)-from, max(limit, 0))
	return append([]Event(nil), s.events[from:from+n]...), s.changed, nil
}

// Wait implements Log.
func (l *MemoryLog) Wait(ctx context.Context, account, afterID string, limit int, block time.Duration) ([]Event, error) {
	events, changed, err := l.read(ctx, account, afterID, limit)
	if err != nil || len(events) > 0 {
		return events, err
	}
	t := time.NewTimer(block)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, nil
	case <-changed:
		return l.Read(ctx, account, afterID, limit)
	}
}

// Last implements Log.
func (l *MemoryLog) Last(ctx context.Context, account string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stream(account)
	if len(s.events) == 0 {
		return zeroID, nil
	}
	return s.events[len(s.events)-1].ID, nil
}

// get returns one kept event by id.
func (l *MemoryLog) get(account, eventID string) (Event, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stream(account)
	i := sort.Search(len(s.events), func(i int) bool { return !Before(s.events[i].ID, eventID) })
	if i < len(s.events) && s.events[i].ID == eventID {
		return s.events[i], true
	}
	return Event{}, false
}
