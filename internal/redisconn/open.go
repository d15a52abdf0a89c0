// Package redisconn opens the gateway's Redis client from its URL: the one
// place that knows go-redis's URL forms and the bounds every call needs.
package redisconn

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// Client bounds: every call fails fast, so that a Redis outage costs each
// request milliseconds, not seconds, before the fallbacks answer.
const (
	DialTimeout = time.Second
	IOTimeout   = 500 * time.Millisecond
	PoolTimeout = time.Second
	// ClusterStateReloadInterval bounds how stale a Cluster client's slot
	// map may get: after a master's failover, calls of its slots fail until
	// the next reload. One CLUSTER SLOTS a second per replica is cheap.
	ClusterStateReloadInterval = time.Second
)

// Open returns a client for raw: a single server by default, a
// Sentinel-managed one when the URL names master_name, a Cluster when it
// lists further nodes with addr= (go-redis's URL form for each). It does not
// connect: a Redis that is down is found out by the first call.
//
// An error never echoes the URL, which may hold a password.
func Open(raw string) (redis.UniversalClient, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("redisconn: open: not a URL")
	}
	q := u.Query()
	switch {
	case q.Has("master_name"):
		o, err := redis.ParseFailoverURL(raw)
		if err != nil {
			return nil, fmt.Errorf("redisconn: open: sentinel URL: %w", sanitize(err))
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = DialTimeout, IOTimeout, IOTimeout, PoolTimeout
		o.MaxRetries = 1
		return redis.NewFailoverClient(o), nil
	case q.Has("addr"):
		o, err := redis.ParseClusterURL(raw)
		if err != nil {
			return nil, fmt.Errorf("redisconn: open: cluster URL: %w", sanitize(err))
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = DialTimeout, IOTimeout, IOTimeout, PoolTimeout
		o.MaxRetries = 1
		// A killed master answers no MOVED: only a reload of the slot map
		// finds its promoted replica, and go-redis reloads it at most this
		// often (60 s by default, a minute of failing calls).
		o.ClusterStateReloadInterval = ClusterStateReloadInterval
		return redis.NewClusterClient(o), nil
	default:
		o, err := redis.ParseURL(raw)
		if err != nil {
			return nil, fmt.Errorf("redisconn: open: redis URL: %w", sanitize(err))
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = DialTimeout, IOTimeout, IOTimeout, PoolTimeout
		o.MaxRetries = 1
		o.DialerRetries = 1 // a down Redis is found out in one dial, not five
		return redis.NewClient(o), nil
	}
}

// sanitize keeps a parse error from echoing the URL, which may hold a
// password: only the error's type survives.
func sanitize(err error) error {
	return fmt.Errorf("invalid (%T)", err)
}
