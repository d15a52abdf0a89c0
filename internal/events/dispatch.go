package events

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Defaults of DispatcherConfig.
const (
	DefaultBaseDelay    = 10 * time.Second
	DefaultMaxDelay     = time.Hour
	DefaultMaxAge       = 24 * time.Hour
	DefaultTakeoverIdle = 30 * time.Second
	DefaultScanEvery    = time.Second
)

// The outcomes of an attempt, as metrics count them.
const (
	OutcomeDelivered = "delivered"
	OutcomeFailed    = "failed"
	OutcomeGone      = "gone"
	OutcomeDropped   = "dropped"
)

// DispatcherConfig configures a Dispatcher. Zero fields mean the defaults.
type DispatcherConfig struct {
	// Queue holds the delivery state, shared by every replica. Required.
	Queue Queue
	// Endpoints are every tenant's webhook endpoints.
	Endpoints []Endpoint
	// Consumer names this replica in the consumer groups. Required.
	Consumer string
	// Client sends the attempts; default NewWebhookClient(nil).
	Client *http.Client
	// Now is the clock of signatures, ages and results; default time.Now.
	Now func() time.Time
	// BaseDelay is the nominal delay before the first retry, doubled per
	// attempt up to MaxDelay; each delay is jittered into [d/2, d]. The
	// defaults (10 s, 1 h) give SPEC §8's "first within 10 s, none more
	// than 1 h apart".
	BaseDelay, MaxDelay time.Duration
	// MaxAge is how long an event is retried before it is dropped and
	// counted; default 24 h.
	MaxAge time.Duration
	// TakeoverIdle is how long another replica's pending attempt must have
	// been idle before this one takes it over (its replica presumed dead).
	// It must exceed the attempt timeout, so that an attempt in flight is
	// never taken; default 30 s.
	TakeoverIdle time.Duration
	// ScanEvery is how often pending events are checked for a due retry;
	// it also bounds each wait for new events. Default 1 s.
	ScanEvery time.Duration
	// OnAttempt and OnBacklog, when set, feed the metrics.
	OnAttempt func(e Endpoint, outcome string)
	OnBacklog func(e Endpoint, backlog int64)
	// Logger receives failures (never a URL or secret); default slog.Default().
	Logger *slog.Logger
}

// Dispatcher delivers events to webhook endpoints. Run it on every
// replica: each attempt is made by one of them. It is safe for concurrent
// use.
type Dispatcher struct {
	cfg       DispatcherConfig
	endpoints []*endpointState
}

// endpointState is one endpoint's signer and this replica's view of it.
type endpointState struct {
	Endpoint
	signer *Signer

	mu       sync.Mutex
	disabled bool // a 410 until the next reload
}

// NewDispatcher validates cfg (every endpoint's secret included).
func NewDispatcher(cfg DispatcherConfig) (*Dispatcher, error) {
	switch {
	case cfg.Queue == nil:
		return nil, errors.New("events: dispatcher: Queue is required")
	case cfg.Consumer == "":
		return nil, errors.New("events: dispatcher: Consumer is required")
	}
	if cfg.Client == nil {
		cfg.Client = NewWebhookClient(nil)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	setDefault(&cfg.BaseDelay, DefaultBaseDelay)
	setDefault(&cfg.MaxDelay, DefaultMaxDelay)
	setDefault(&cfg.MaxAge, DefaultMaxAge)
	setDefault(&cfg.TakeoverIdle, DefaultTakeoverIdle)
	setDefault(&cfg.ScanEvery, DefaultScanEvery)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	d := &Dispatcher{cfg: cfg}
	for _, e := range cfg.Endpoints {
		s, err := NewSigner(e.Secret)
		if err != nil {
			return nil, errors.New("events: dispatcher: tenant " + e.Tenant + " webhook " + strconv.Itoa(e.Index) + ": secret " + err.Error())
		}
		d.endpoints = append(d.endpoints, &endpointState{Endpoint: e, signer: s})
	}
	return d, nil
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// Run delivers until ctx ends, one loop per endpoint. An attempt cut off
// by ctx is neither acknowledged nor counted: it stays pending, and a
// replica still running takes it over after TakeoverIdle.
func (d *Dispatcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, ep := range d.endpoints {
		wg.Go(func() { d.runEndpoint(ctx, ep) })
	}
	wg.Wait()
}

func (d *Dispatcher) runEndpoint(ctx context.Context, ep *endpointState) {
	group := ep.Group()
	for {
		err := d.cfg.Queue.Join(ctx, ep.Account, group)
		if err == nil {
			break
		}
		d.warn(ctx, ep, "joining the delivery group failed", err)
		if !sleep(ctx, d.cfg.ScanEvery) {
			return
		}
	}
	nextScan := time.Time{}
	for ctx.Err() == nil {
		if ep.isDisabled() {
			<-ctx.Done()
			return
		}
		events, err := d.cfg.Queue.ReadNew(ctx, ep.Account, group, d.cfg.Consumer, 16, d.cfg.ScanEvery)
		if err != nil && ctx.Err() == nil {
			d.warn(ctx, ep, "reading new events failed", err)
			sleep(ctx, d.cfg.ScanEvery)
		}
		for _, e := range events {
			d.attempt(ctx, ep, e)
		}
		if now := time.Now(); !now.Before(nextScan) {
			nextScan = now.Add(d.cfg.ScanEvery)
			d.retryDue(ctx, ep)
			if n, err := d.cfg.Queue.Backlog(ctx, ep.Account, group); err == nil && d.cfg.OnBacklog != nil {
				d.cfg.OnBacklog(ep.Endpoint, n)
			}
		}
	}
}

// retryDue claims and attempts the pending events whose delay has passed:
// this replica's own after their retry delay, another's only after
// TakeoverIdle as well (it may still be attempting them).
func (d *Dispatcher) retryDue(ctx context.Context, ep *endpointState) {
	group := ep.Group()
	pending, err := d.cfg.Queue.Pending(ctx, ep.Account, group, 256)
	if err != nil {
		if ctx.Err() == nil {
			d.warn(ctx, ep, "listing pending events failed", err)
		}
		return
	}
	for _, p := range pending {
		if ctx.Err() != nil || ep.isDisabled() {
			return
		}
		if Age(p.ID, d.cfg.Now()) > d.cfg.MaxAge {
			d.drop(ctx, ep, p.ID)
			continue
		}
		wait := d.delay(p.ID, p.Deliveries)
		if p.Consumer != d.cfg.Consumer {
			wait = max(wait, d.cfg.TakeoverIdle)
		}
		if p.Idle < wait {
			continue
		}
		e, ok, err := d.cfg.Queue.Claim(ctx, ep.Account, group, d.cfg.Consumer, p.ID, wait)
		if err != nil {
			d.warn(ctx, ep, "claiming a pending event failed", err)
			continue
		}
		if ok {
			d.attempt(ctx, ep, e)
		}
	}
}

// delay is the wait after the deliveries-th attempt: BaseDelay doubled per
// attempt, at most MaxDelay, jittered into [d/2, d] by a hash of the event
// and attempt, so every replica computes the same.
func (d *Dispatcher) delay(id string, deliveries int64) time.Duration {
	nominal := d.cfg.BaseDelay
	for i := int64(1); i < deliveries && nominal < d.cfg.MaxDelay; i++ {
		nominal *= 2
	}
	nominal = min(nominal, d.cfg.MaxDelay)
	h := fnv.New64a()
	h.Write([]byte(id + "/" + strconv.FormatInt(deliveries, 10)))
	frac := float64(h.Sum64()%1000) / 1000
	return nominal/2 + time.Duration(frac*float64(nominal/2))
}

// attempt delivers e once and records the outcome.
func (d *Dispatcher) attempt(ctx context.Context, ep *endpointState, e Event) {
	group := ep.Group()
	now := d.cfg.Now()
	if Age(e.ID, now) > d.cfg.MaxAge {
		d.drop(ctx, ep, e.ID)
		return
	}
	if !ep.wants(e.Type) {
		_ = d.cfg.Queue.Ack(ctx, ep.Account, group, e.ID)
		return
	}
	status, err := post(ctx, d.cfg.Client, ep.signer, ep.URL, e, now)
	if ctx.Err() != nil {
		return // stopped mid-attempt: left pending for a replica to take over
	}
	result := Result{At: d.cfg.Now(), Status: status}
	switch {
	case status >= 200 && status < 300:
		if err := d.cfg.Queue.Ack(ctx, ep.Account, group, e.ID); err != nil {
			d.warn(ctx, ep, "acknowledging a delivered event failed", err)
		}
		_ = d.cfg.Queue.SaveResult(ctx, ep.Account, group, true, result)
		d.count(ep, OutcomeDelivered)
		return
	case status == http.StatusGone:
		ep.mu.Lock()
		ep.disabled = true
		ep.mu.Unlock()
		d.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "webhook endpoint answered 410: disabled until the next reload",
			slog.String("tenant", ep.Tenant), slog.Int("endpoint", ep.Index))
	case err != nil:
		d.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "webhook attempt failed",
			slog.String("tenant", ep.Tenant), slog.Int("endpoint", ep.Index), slog.String("error", err.Error()))
	}
	_ = d.cfg.Queue.SaveResult(ctx, ep.Account, group, false, result)
	if err := d.cfg.Queue.Touch(ctx, ep.Account, group, d.cfg.Consumer, e.ID); err != nil {
		d.warn(ctx, ep, "rescheduling a failed event failed", err)
	}
	// Counted once the retry is scheduled: the count says the attempt is
	// wholly over.
	if status == http.StatusGone {
		d.count(ep, OutcomeGone)
	} else {
		d.count(ep, OutcomeFailed)
	}
}

// drop gives an event up after MaxAge.
func (d *Dispatcher) drop(ctx context.Context, ep *endpointState, id string) {
	if err := d.cfg.Queue.Ack(ctx, ep.Account, ep.Group(), id); err == nil {
		d.count(ep, OutcomeDropped)
	}
}

func (d *Dispatcher) count(ep *endpointState, outcome string) {
	if d.cfg.OnAttempt != nil {
		d.cfg.OnAttempt(ep.Endpoint, outcome)
	}
}

func (d *Dispatcher) warn(ctx context.Context, ep *endpointState, msg string, err error) {
	d.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "webhooks: "+msg,
		slog.String("tenant", ep.Tenant), slog.Int("endpoint", ep.Index), slog.String("error", err.Error()))
}

func (ep *endpointState) isDisabled() bool {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return ep.disabled
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
