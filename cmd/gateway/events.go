package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

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
	// labels are the (tenant, position) metric labels of the endpoints in
	// force; reloadWebhooks keeps them.
	labels  map[[2]string]bool
	metrics *metrics.Metrics
	logger  *slog.Logger
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
	out := &eventsOut{log: log, hub: hub, metrics: m, logger: logger, close: closeFn}
	endpoints := webhookEndpoints(cfg)
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
		// What a removed endpoint was owed is given up: counted as
		// dropped, like an event given up after 24 h.
		OnRemoved: func(e events.Endpoint, n int64) {
			m.Events.WebhookAttempts.WithLabelValues(e.Tenant, strconv.Itoa(e.Index), events.OutcomeDropped).Add(float64(n))
		},
		Logger: logger,
	})
	if err != nil {
		if closeFn != nil {
			closeFn()
		}
		return nil, err
	}
	out.dispatcher, out.labels = d, endpointLabels(endpoints)
	return out, nil
}

// webhookEndpoints lists the webhook endpoints of cfg's tenants, in the
// file's order.
func webhookEndpoints(cfg *config.Config) []events.Endpoint {
	var out []events.Endpoint
	for _, t := range cfg.Tenants {
		for i, w := range t.Webhooks {
			ep := events.Endpoint{Tenant: t.ID, Index: i, Account: t.Phonewagon.Account(), URL: w.URL.String(), Secret: w.Secret}
			for _, typ := range w.Events {
				ep.Types = append(ep.Types, events.Type(typ))
			}
			out = append(out, ep)
		}
	}
	return out
}

// endpointLabels are the metric labels (tenant, position) of eps.
func endpointLabels(eps []events.Endpoint) map[[2]string]bool {
	out := make(map[[2]string]bool, len(eps))
	for _, e := range eps {
		out[[2]string{e.Tenant, strconv.Itoa(e.Index)}] = true
	}
	return out
}

// checkWebhooks reports the error reloadWebhooks would meet with cfg, so
// that a reload is refused before any of it applies.
func (e *eventsOut) checkWebhooks(cfg *config.Config) error {
	if err := events.ValidateEndpoints(webhookEndpoints(cfg)); err != nil {
		return fmt.Errorf("webhooks: %w", err)
	}
	return nil
}

// webhookReloadTimeout bounds the shared-state work of a reload's webhook
// changes (joining the added endpoints' groups, dropping the removed ones'):
// a reload never hangs on a slow Redis; an added endpoint whose join did
// not finish joins from its own loop.
const webhookReloadTimeout = 10 * time.Second

// reloadWebhooks makes cfg's webhook endpoints the ones delivered to
// (SPEC §1, §8) and forgets the backlog gauges of the positions no longer
// configured. It is called by one reload at a time.
func (e *eventsOut) reloadWebhooks(cfg *config.Config) (events.EndpointChanges, error) {
	ctx, cancel := context.WithTimeout(context.Background(), webhookReloadTimeout)
	defer cancel()
	endpoints := webhookEndpoints(cfg)
	ch, err := e.dispatcher.SetEndpoints(ctx, endpoints)
	if err != nil {
		return events.EndpointChanges{}, fmt.Errorf("webhooks: %w", err)
	}
	// SetEndpoints has returned: no backlog report with a former position
	// comes after this.
	labels := endpointLabels(endpoints)
	for l := range e.labels {
		if !labels[l] {
			e.metrics.Events.WebhookBacklog.DeleteLabelValues(l[0], l[1])
		}
	}
	e.labels = labels
	return ch, nil
}

// onChange is the mirror syncer's hook for account: follow and revisit
// changes become events.
func (e *eventsOut) onChange(account string) func(mirror.Change, domain.Call) error {
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
