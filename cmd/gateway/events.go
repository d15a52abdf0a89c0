package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"

	"switchboard/internal/config"
	"switchboard/internal/domain"
	"switchboard/internal/events"
	"switchboard/internal/metrics"
	"switchboard/internal/mirror"
	"switchboard/internal/redisconn"
)

// eventsOut is the event log of the mirrored accounts, the hub that fans it
// out to /v1/events streams, and the webhook dispatcher (SPEC §8).
type eventsOut struct {
	log        events.Log
	hub        *events.Hub
	dispatcher *events.Dispatcher
	metrics    *metrics.Metrics
	logger     *slog.Logger
	// close releases the Redis client of the events; nil without Redis.
	close func()
}

// newEvents builds them on Redis when it is configured (any replica
// streams any account, one replica per webhook attempt), in memory
// otherwise. On Redis they get a client of their own: each account's feed
// and each webhook endpoint holds a connection in a blocking read most of
// the time, which must never starve the pool that the cache, budget and
// idempotency stores answer callers from.
func newEvents(cfg *config.Config, st *stores, m *metrics.Metrics, logger *slog.Logger) (*eventsOut, error) {
	var (
		log     events.Log
		queue   events.Queue
		closeFn func()
	)
	if st.redis != nil {
		rdb, err := redisconn.Open(cfg.RedisURL.Reveal())
		if err != nil {
			return nil, fmt.Errorf("config: SWITCHBOARD_REDIS_URL: %w", err)
		}
		closeFn = func() { _ = rdb.Close() }
		rl := events.NewRedisLog(rdb, cfg.RedisPrefix+"events:", 0)
		log, queue = rl, events.NewRedisQueue(rdb, rl)
	} else {
		ml := events.NewMemoryLog(nil, 0)
		log, queue = ml, events.NewMemoryQueue(ml)
	}
	hub, err := events.NewHub(events.HubConfig{Log: log, Logger: logger})
	if err != nil {
		if closeFn != nil {
			closeFn()
		}
		return nil, err
	}
	var endpoints []events.Endpoint
	for _, t := range cfg.Tenants {
		for i, w := range t.Webhooks {
			ep := events.Endpoint{Tenant: t.ID, Index: i, Account: t.Phonewagon.Account(), URL: w.URL.String(), Secret: w.Secret}
			for _, typ := range w.Events {
				ep.Types = append(ep.Types, events.Type(typ))
			}
			endpoints = append(endpoints, ep)
		}
	}
	d, err := events.NewDispatcher(events.DispatcherConfig{
		Queue:     queue,
		Endpoints: endpoints,
		Consumer:  replicaName(),
		OnAttempt: func(e events.Endpoint, outcome string) {
			m.Events.WebhookAttempts.WithLabelValues(e.Tenant, strconv.Itoa(e.Index), outcome).Inc()
		},
		OnBacklog: func(e events.Endpoint, n int64) {
			m.Events.WebhookBacklog.WithLabelValues(e.Tenant, strconv.Itoa(e.Index)).Set(float64(n))
		},
		Logger: logger,
	})
	if err != nil {
		if closeFn != nil {
			closeFn()
		}
		return nil, err
	}
	return &eventsOut{log: log, hub: hub, dispatcher: d, metrics: m, logger: logger, close: closeFn}, nil
}

// onChange is the mirror syncer's hook for account: follow and revisit
// changes become events.
func (e *eventsOut) onChange(account string) func(mirror.Change, domain.Call) {
	return events.MirrorHook(e.log, account, func(typ events.Type) {
		e.metrics.Events.Emitted.WithLabelValues(string(typ)).Inc()
	}, e.logger)
}

// start runs the webhook dispatcher until the returned stop is called;
// stop waits for it (an attempt under way is cut off and left pending, for
// this or another replica to make again), then ends the open streams and
// closes the events' Redis client.
func (e *eventsOut) start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { e.dispatcher.Run(ctx) })
	return func() {
		cancel()
		wg.Wait()
		e.hub.Close()
		if e.close != nil {
			e.close()
		}
	}
}
