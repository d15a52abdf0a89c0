package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/go-chi/httprate"
	"github.com/redis/go-redis/v9"

	"switchboard/internal/cache"
	"switchboard/internal/config"
	"switchboard/internal/handlers"
	"switchboard/internal/metrics"
	"switchboard/internal/ratelimit"
	"switchboard/internal/upstream/callwidget"
)

// Redis client bounds: every call fails fast, so that a Redis outage costs
// each request milliseconds, not seconds, before the fallbacks answer.
const (
	redisDialTimeout = time.Second
	redisIOTimeout   = 500 * time.Millisecond
	redisPoolTimeout = time.Second
)

// stores are the shared-state stores: on Redis when it is configured
// (shared by every replica), in memory otherwise (one replica).
type stores struct {
	redis    redis.UniversalClient // nil without Redis
	cache    *cache.Cache
	idem     cache.IdempotencyStore
	budget   ratelimit.Store
	counter  httprate.LimitCounter // nil: httprate counts in this process
	tokens   callwidget.TokenStore
	ready    []handlers.ReadinessCheck
	replicas int // the budget's fallback share divisor
}

// openStores builds the stores; with Redis it does not wait for Redis to be
// up: /readyz tells, and every store falls back while it is down.
func openStores(cfg *config.Config, m *metrics.Metrics, logger *slog.Logger) (*stores, error) {
	onResult := func(st cache.Status) { m.CacheResults.WithLabelValues(string(st)).Inc() }
	if cfg.RedisURL == "" {
		c, err := cache.New(cache.Config{OnResult: onResult})
		if err != nil {
			return nil, err
		}
		return &stores{
			cache:    c,
			idem:     cache.NewMemoryIdempotency(time.Now),
			budget:   ratelimit.NewMemoryStore(time.Now),
			tokens:   cache.NewMemoryTokens(),
			replicas: 1,
		}, nil
	}

	rdb, err := newRedisClient(cfg.RedisURL.Reveal())
	if err != nil {
		return nil, fmt.Errorf("config: SWITCHBOARD_REDIS_URL: %w", err)
	}
	tokens, err := cache.NewRedisTokens(rdb, cfg.RedisPrefix+"tokens:", []byte(cfg.EncryptionKey.Reveal()))
	if err != nil {
		return nil, err
	}
	// A one-second first-level cache in each replica spares most hits a Redis
	// round trip; the price is that a revalidation on one replica reaches
	// the others' hits up to a second late, against TTLs of 30 s and more.
	c, err := cache.New(cache.Config{Backend: cache.NewRedisBackend(rdb, cfg.RedisPrefix+"cache:"), OnResult: onResult, L1TTL: time.Second})
	if err != nil {
		return nil, err
	}
	counter, err := ratelimit.NewFallbackLimitCounter(ratelimit.FallbackCounterConfig{
		Shared: ratelimit.NewRedisLimitCounter(rdb, cfg.RedisPrefix+"inbound:"),
		OnSharedError: func(err error) {
			logger.Warn("inbound limit counting locally: Redis failed", "error", err.Error())
		},
	})
	if err != nil {
		return nil, err
	}
	return &stores{
		redis:   rdb,
		cache:   c,
		idem:    cache.NewRedisIdempotency(rdb, cfg.RedisPrefix+"idem:"),
		budget:  ratelimit.NewRedisStore(rdb, cfg.RedisPrefix+"budget:"),
		counter: counter,
		tokens:  tokens,
		ready: []handlers.ReadinessCheck{{Name: "redis", Check: func(ctx context.Context) error {
			return rdb.Ping(ctx).Err()
		}}},
		replicas: ratelimit.DefaultFallbackShare,
	}, nil
}

func (s *stores) close() {
	if s.redis != nil {
		_ = s.redis.Close()
	}
}

// newRedisClient opens a client for raw: a single server by default, a
// Sentinel-managed one when the URL names master_name, a Cluster when it
// lists further nodes with addr= (go-redis's URL forms for each).
func newRedisClient(raw string) (redis.UniversalClient, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("not a URL")
	}
	q := u.Query()
	switch {
	case q.Has("master_name"):
		o, err := redis.ParseFailoverURL(raw)
		if err != nil {
			return nil, fmt.Errorf("sentinel URL: %w", sanitizeRedisErr(err))
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = redisDialTimeout, redisIOTimeout, redisIOTimeout, redisPoolTimeout
		o.MaxRetries = 1
		return redis.NewFailoverClient(o), nil
	case q.Has("addr"):
		o, err := redis.ParseClusterURL(raw)
		if err != nil {
			return nil, fmt.Errorf("cluster URL: %w", sanitizeRedisErr(err))
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = redisDialTimeout, redisIOTimeout, redisIOTimeout, redisPoolTimeout
		o.MaxRetries = 1
		return redis.NewClusterClient(o), nil
	default:
		o, err := redis.ParseURL(raw)
		if err != nil {
			return nil, fmt.Errorf("redis URL: %w", sanitizeRedisErr(err))
		}
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = redisDialTimeout, redisIOTimeout, redisIOTimeout, redisPoolTimeout
		o.MaxRetries = 1
		o.DialerRetries = 1 // a down Redis is found out in one dial, not five
		return redis.NewClient(o), nil
	}
}

// sanitizeRedisErr keeps a parse error from echoing the URL, which may hold
// a password.
func sanitizeRedisErr(err error) error {
	return fmt.Errorf("invalid (%T)", err)
}

// budgetFor returns the budget of one Phonewagon account, shared by every
// tenant on it.
func (s *stores) budgetFor(pw *config.Phonewagon, m *metrics.Metrics, logger *slog.Logger) (*budgetReporter, error) {
	account := pw.Account()
	rep := &budgetReporter{}
	b, err := ratelimit.NewBudget(ratelimit.BudgetConfig{
		Account:       account,
		Limit:         pw.BudgetPerMinute,
		Store:         s.budget,
		FallbackShare: s.replicas,
		OnWait:        func(outcome string) { m.BudgetWaits.WithLabelValues(outcome).Inc() },
		OnRemaining: func(n int) {
			rep.remember(n)
			m.BudgetRemaining.WithLabelValues(account).Set(float64(n))
		},
		OnStoreError: func(err error) {
			logger.Warn("Phonewagon budget on its per-replica share: store failed", "account", account, "error", err.Error())
		},
	})
	if err != nil {
		return nil, err
	}
	rep.b = b
	return rep, nil
}
