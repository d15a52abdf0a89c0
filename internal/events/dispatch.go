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
	DefaultBaseDelay    = 8 * time.Second
	DefaultMaxDelay     = time.Hour - time.Minute
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
	// Endpoints are every tenant's webhook endpoints until SetEndpoints
	// replaces them.
	Endpoints []Endpoint
	// Consumer names this replica in the consumer groups. Required.
	Consumer string
	// Client sends the attempts; default NewWebhookClient(nil).
	Client *http.Client
	// Now is the clock of signatures, ages and results; default time.Now.
	Now func() time.Time
	// BaseDelay is the nominal delay before the first retry, doubled per
	// attempt up to MaxDelay; each delay is jittered into [d/2, d]. The
	// defaults (8 s, 59 min) give SPEC §8's "first within 10 s, none more
	// than 1 h apart" with room for the scan that finds a retry due
	// (ScanEvery) and the attempt's own start.
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
	// AttemptTimeout bounds each attempt, from connecting to the
	// receiver's status (and the little of its body that is read): a
	// receiver that has not answered by then failed. Default
	// AttemptTimeout (SPEC §8: a 2xx within 10 s); it must stay below
	// TakeoverIdle.
	AttemptTimeout time.Duration
	// OnAttempt and OnBacklog, when set, feed the metrics. OnBacklog is
	// called with the endpoint's settings in force: after SetEndpoints
	// returns, no call carries the settings it replaced.
	OnAttempt func(e Endpoint, outcome string)
	OnBacklog func(e Endpoint, backlog int64)
	// OnRemoved, when set, is told of each endpoint SetEndpoints removed,
	// once its loop has stopped, with the number of events it was owed and
	// that were given up with its delivery state (0 when another replica
	// gave them up first).
	OnRemoved func(e Endpoint, dropped int64)
	// Logger receives failures (never a URL or secret); default slog.Default().
	Logger *slog.Logger
}

// Dispatcher delivers events to webhook endpoints. Run it on every
// replica: each attempt is made by one of them. SetEndpoints replaces the
// endpoints while it runs (a reload). It is safe for concurrent use.
type Dispatcher struct {
	cfg DispatcherConfig

	swap sync.Mutex // serializes SetEndpoints

	mu        sync.Mutex
	endpoints []*endpointState // in the order configured
	ctx       context.Context  // Run's, while it runs; nil otherwise
	wg        sync.WaitGroup   // the endpoint loops
}

// endpointState is one endpoint: its identity (account and group, fixed),
// its settings and signer (a reload may change them), and this replica's
// view of it.
type endpointState struct {
	key            string // endpointKey: what a reload keeps it by
	account, group string

	mu       sync.Mutex
	cfg      Endpoint
	signer   *Signer
	disabled bool          // a 410 until the next reload
	enabled  chan struct{} // closed when a reload enables it again

	stop context.CancelFunc // its loop's; nil until the loop runs
	done chan struct{}      // closed when its loop returned
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
	setDefault(&cfg.AttemptTimeout, AttemptTimeout)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	eps, err := newEndpointStates(cfg.Endpoints)
	if err != nil {
		return nil, err
	}
	cfg.Endpoints = nil // the states hold them
	return &Dispatcher{cfg: cfg, endpoints: eps}, nil
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// Run delivers until ctx ends, one loop per endpoint, including the ones
// SetEndpoints adds meanwhile. An attempt cut off by ctx is neither
// acknowledged nor counted: it stays pending, and a replica still running
// takes it over after TakeoverIdle. Run is called once.
func (d *Dispatcher) Run(ctx context.Context) {
	d.mu.Lock()
	d.ctx = ctx
	for _, ep := range d.endpoints {
		d.start(ep)
	}
	d.mu.Unlock()
	<-ctx.Done()
	d.mu.Lock()
	d.ctx = nil // no loop starts any more
	d.mu.Unlock()
	d.wg.Wait()
}

// start runs ep's loop under Run's context, unless it runs already or Run
// is not running; d.mu is held.
func (d *Dispatcher) start(ep *endpointState) {
	if d.ctx == nil || ep.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(d.ctx)
	done := make(chan struct{})
	ep.stop, ep.done = cancel, done
	d.wg.Go(func() {
		defer close(done)
		d.runEndpoint(ctx, ep)
	})
}

func (d *Dispatcher) runEndpoint(ctx context.Context, ep *endpointState) {
	if !d.join(ctx, ep) {
		return
	}
	nextScan := time.Time{}
	for ctx.Err() == nil {
		if enabled := ep.enabledSignal(); enabled != nil {
			select { // disabled by a 410 until a reload enables it
			case <-ctx.Done():
				return
			case <-enabled:
				continue
			}
		}
		events, err := d.cfg.Queue.ReadNew(ctx, ep.account, ep.group, d.cfg.Consumer, 16, d.cfg.ScanEvery)
		switch {
		case errors.Is(err, ErrNoGroup):
			// Another replica's reload removed the endpoint; this one
			// still has it, so it joins again and delivers what is
			// recorded from now on.
			if !d.join(ctx, ep) {
				return
			}
		case err != nil && ctx.Err() == nil:
			d.warn(ctx, ep, "reading new events failed", err)
			sleep(ctx, d.cfg.ScanEvery)
		}
		read := d.cfg.Now()
		for i, e := range events {
			if ep.isDisabled() {
				// A 410 on one of them: the rest stay pending, attempted
				// again once a reload enables the endpoint.
				break
			}
			if i > 0 && !d.keep(ctx, ep, e.ID, d.cfg.Now().Sub(read)) {
				continue
			}
			d.attempt(ctx, ep, e)
		}
		if now := time.Now(); !now.Before(nextScan) {
			nextScan = now.Add(d.cfg.ScanEvery)
			d.retryDue(ctx, ep)
			if n, err := d.cfg.Queue.Backlog(ctx, ep.account, ep.group); err == nil {
				ep.reportBacklog(d.cfg.OnBacklog, n)
			}
		}
	}
}

// keep restarts the idle time of the batch's event id, handed to this
// replica waited ago, before attempting it, so that the attempts before it
// (up to AttemptTimeout each) do not make it look abandoned to another
// replica's takeover while it is attempted: false when another replica
// claimed it meanwhile (it attempts it) or it cannot be kept (it stays
// pending, retried after its delay). An event idle since the read has been
// idle at least waited less a margin (clocks and round trips); another
// replica's claim, at least TakeoverIdle after the read, made it idle for
// less than waited − TakeoverIdle, below that.
func (d *Dispatcher) keep(ctx context.Context, ep *endpointState, id string, waited time.Duration) bool {
	margin := min(time.Second, d.cfg.TakeoverIdle/2)
	ok, err := d.cfg.Queue.Keep(ctx, ep.account, ep.group, d.cfg.Consumer, id, max(waited-margin, 0))
	if err != nil && ctx.Err() == nil {
		d.warn(ctx, ep, "keeping a pending event before its attempt failed", err)
	}
	return ok && err == nil
}

// join joins ep's group, retrying every ScanEvery until it succeeds
// (true) or ctx ends (false).
func (d *Dispatcher) join(ctx context.Context, ep *endpointState) bool {
	for {
		err := d.cfg.Queue.Join(ctx, ep.account, ep.group)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		d.warn(ctx, ep, "joining the delivery group failed", err)
		if !sleep(ctx, d.cfg.ScanEvery) {
			return false
		}
	}
}

// retryDue claims and attempts the pending events whose delay has passed:
// this replica's own after their retry delay, another's only after
// TakeoverIdle as well (it may still be attempting them).
func (d *Dispatcher) retryDue(ctx context.Context, ep *endpointState) {
	pending, err := d.cfg.Queue.Pending(ctx, ep.account, ep.group, 256)
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, ErrNoGroup) { // joined again by the next read

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
		e, ok, err := d.cfg.Queue.Claim(ctx, ep.account, ep.group, d.cfg.Consumer, p.ID, wait)
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

// attempt delivers e once and records the outcome. It uses the endpoint's
// settings as they are when it starts: a reload during the attempt
// applies to the next one.
func (d *Dispatcher) attempt(ctx context.Context, ep *endpointState, e Event) {
	q := d.cfg.Queue
	cfg, signer := ep.settings()
	now := d.cfg.Now()
	if Age(e.ID, now) > d.cfg.MaxAge {
		d.drop(ctx, ep, e.ID)
		return
	}
	if !cfg.wants(e.Type) {
		_ = q.Ack(ctx, ep.account, ep.group, e.ID)
		return
	}
	status, err := post(ctx, d.cfg.Client, d.cfg.AttemptTimeout, signer, cfg.URL, e, now)
	if ctx.Err() != nil {
		return // stopped mid-attempt: left pending for a replica to take over
	}
	result := Result{At: d.cfg.Now(), Status: status}
	switch {
	case status >= 200 && status < 300:
		if err := q.Ack(ctx, ep.account, ep.group, e.ID); err != nil {
			d.warn(ctx, ep, "acknowledging a delivered event failed", err)
		}
		_ = q.SaveResult(ctx, ep.account, ep.group, true, result)
		d.count(cfg, OutcomeDelivered)
		return
	case status == http.StatusGone:
		ep.disable()
		d.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "webhook endpoint answered 410: disabled until the next reload",
			slog.String("tenant", cfg.Tenant), slog.Int("endpoint", cfg.Index))
	case err != nil:
		d.cfg.Logger.LogAttrs(ctx, slog.LevelInfo, "webhook attempt failed",
			slog.String("tenant", cfg.Tenant), slog.Int("endpoint", cfg.Index), slog.String("error", err.Error()))
	}
	_ = q.SaveResult(ctx, ep.account, ep.group, false, result)
	if _, err := q.Keep(ctx, ep.account, ep.group, d.cfg.Consumer, e.ID, 0); err != nil {
		d.warn(ctx, ep, "rescheduling a failed event failed", err)
	}
	// Counted once the retry is scheduled: the count says the attempt is
	// wholly over.
	if status == http.StatusGone {
		d.count(cfg, OutcomeGone)
	} else {
		d.count(cfg, OutcomeFailed)
	}
}

// drop gives an event up after MaxAge.
func (d *Dispatcher) drop(ctx context.Context, ep *endpointState, id string) {
	if err := d.cfg.Queue.Ack(ctx, ep.account, ep.group, id); err == nil {
		cfg, _ := ep.settings()
		d.count(cfg, OutcomeDropped)
	}
}

func (d *Dispatcher) count(e Endpoint, outcome string) {
	if d.cfg.OnAttempt != nil {
		d.cfg.OnAttempt(e, outcome)
	}
}

func (d *Dispatcher) warn(ctx context.Context, ep *endpointState, msg string, err error) {
	cfg, _ := ep.settings()
	d.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "webhooks: "+msg,
		slog.String("tenant", cfg.Tenant), slog.Int("endpoint", cfg.Index), slog.String("error", err.Error()))
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
