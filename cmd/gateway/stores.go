package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/go-chi/httprate"
	"github.com/redis/go-redis/v9"

	"switchboard/internal/cache"
	"switchboard/internal/config"
	"switchboard/internal/handlers"
	"switchboard/internal/idempotency"
	"switchboard/internal/metrics"
	"switchboard/internal/mirror"
	"switchboard/internal/ratelimit"
	"switchboard/internal/redisconn"
	"switchboard/internal/storehealth"
	"switchboard/internal/upstream/callwidget"
)

// stores are the shared-state stores: on Redis when it is configured
// (shared by every replica), in memory otherwise (one replica).
type stores struct {
	redis    redis.UniversalClient // nil without Redis
	health   *storehealth.Health   // nil without Redis
	replicas *ratelimit.Replicas   // nil without Redis
	cache    *cache.Cache
	idem     idempotency.Store
	budget   ratelimit.Store
	counter  httprate.LimitCounter // nil: httprate counts in this process
	tokens   callwidget.TokenStore
	mirror   mirrorStore // call-history mirrors, their leases and follow requests
	ready    []handlers.ReadinessCheck
	stop     func() // ends the heartbeats; nil without Redis
}

// openStores builds the stores; with Redis it does not wait for Redis to be
// up: /readyz tells, and every store falls back while it is down. One
// store health decides for every user of the Redis client.
func openStores(cfg *config.Config, m *metrics.Metrics, logger *slog.Logger) (*stores, error) {
	if cfg.RedisURL == "" {
		c, err := cache.New(cache.Config{FillTimeout: cfg.UpstreamTimeout})
		if err != nil {
			return nil, err
		}
		return &stores{
			cache:  c,
			idem:   idempotency.NewMemory(time.Now),
			budget: ratelimit.NewMemoryStore(time.Now),
			tokens: cache.NewMemoryTokens(),
			mirror: mirror.NewMemoryStore(time.Now),
		}, nil
	}

	rdb, err := redisconn.Open(cfg.RedisURL.Reveal())
	if err != nil {
		return nil, fmt.Errorf("config: SWITCHBOARD_REDIS_URL: %w", err)
	}
	health, err := storehealth.New(storehealth.Config{OnChange: func(up bool) {
		if up {
			logger.Info("Redis is back: shared state in use again")
		} else {
			logger.Warn("Redis failed: every store falls back until it answers again")
		}
	}})
	if err != nil {
		return nil, err
	}
	if err := m.Registry().Register(storehealth.Gauge(health, "redis")); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	// What the "Redis down" alert watches: a PING made when scraped, through
	// the same health as every other Redis call.
	if err := m.Registry().Register(storehealth.PingGauge(health, "switchboard_redis_up",
		"1 when this replica reaches Redis (a PING made when scraped answered within 500 ms), 0 otherwise.",
		func(ctx context.Context) error { return rdb.Ping(ctx).Err() })); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	replicas, err := ratelimit.NewReplicas(ratelimit.ReplicasConfig{Redis: rdb, Prefix: cfg.RedisPrefix + "budget:", Health: health})
	if err != nil {
		return nil, err
	}
	tokens, err := cache.NewRedisTokens(rdb, cfg.RedisPrefix+"tokens:", []byte(cfg.EncryptionKey.Reveal()))
	if err != nil {
		return nil, err
	}
	// A one-second first-level cache in each replica spares most hits a Redis
	// round trip; the price is that a revalidation on one replica reaches
	// the others' hits up to a second late, against TTLs of 30 s and more.
	c, err := cache.New(cache.Config{
		Backend:     cache.NewRedisBackend(rdb, cfg.RedisPrefix+"cache:"),
		Health:      health,
		FillTimeout: cfg.UpstreamTimeout,
		L1TTL:       time.Second,
	})
	if err != nil {
		return nil, err
	}
	counter, err := ratelimit.NewFallbackLimitCounter(ratelimit.FallbackCounterConfig{
		Shared: ratelimit.NewRedisLimitCounter(rdb, cfg.RedisPrefix+"inbound:"),
		Health: health,
		OnSharedError: func(err error) {
			logger.Warn("inbound limit counting locally: Redis failed", "error", err.Error())
		},
	})
	if err != nil {
		return nil, err
	}
	return &stores{
		redis:    rdb,
		health:   health,
		replicas: replicas,
		cache:    c,
		idem:     idempotency.NewRedis(rdb, cfg.RedisPrefix+"idem:", health),
		budget:   ratelimit.NewRedisStore(rdb, cfg.RedisPrefix+"budget:", replicas),
		counter:  counter,
		tokens:   tokens,
		mirror:   mirror.NewRedisStore(rdb, cfg.RedisPrefix+"mirror:"),
		ready: []handlers.ReadinessCheck{{Name: "redis", Check: health.Check(func(ctx context.Context) error {
			return rdb.Ping(ctx).Err()
		})}},
		stop: replicas.Start(),
	}, nil
}

// mirrorStore is what a mirror needs of the shared state; MemoryStore and
// RedisStore are each all three.
type mirrorStore interface {
	mirror.Store
	mirror.Leases
	mirror.FollowRequests
}

func (s *stores) close() {
	if s.stop != nil {
		s.stop()
	}
	// The inbound counter's last exchange adds its last requests to Redis.
	if c, ok := s.counter.(io.Closer); ok {
		_ = c.Close()
	}
	if s.redis != nil {
		_ = s.redis.Close()
	}
}

// budgetFor returns the budget of one Phonewagon account, shared by every
// tenant on it.
func (s *stores) budgetFor(pw *config.Phonewagon, m *metrics.Metrics, logger *slog.Logger) (*ratelimit.Budget, error) {
	account := pw.Account()
	bc := ratelimit.BudgetConfig{
		Account: account,
		Limit:   pw.BudgetPerMinute,
		Store:   s.budget,
		Health:  s.health,
		OnWait:  func(outcome string) { m.BudgetWaits.WithLabelValues(outcome).Inc() },
		OnStoreError: func(err error) {
			logger.Warn("Phonewagon budget on its per-replica share: store failed", "account", account, "error", err.Error())
		},
	}
	if s.replicas != nil {
		bc.LiveReplicas = s.replicas.Live
	}
	b, err := ratelimit.NewBudget(bc)
	if err != nil {
		return nil, err
	}
	if s.replicas != nil {
		s.replicas.OnBeat(b.Sync)
	}
	return b, nil
}
