package breaker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/internal/domain"
)

// ErrOpen is the log-only cause of the error a Breaker returns instead of
// calling the upstream: errors.Is(err, ErrOpen) tells a fail-fast refusal
// from a real upstream answer (to serve a stale copy, or to label a metric).
var ErrOpen = errors.New("circuit breaker open")

// probeBusyRetry is the Retry-After of a refusal while the probe is in
// flight: the probe decides within one upstream round trip whether calls go
// through again, so a short hint is the accurate one.
const probeBusyRetry = time.Second

// Breaker guards the calls to one upstream account. It is safe for
// concurrent use; make one per account and share it between every client
// and tenant using that account. It starts Closed.
//
// A nil *Breaker lets every call through, so that an unguarded client needs
// no special case.
type Breaker struct {
	name         string
	threshold    int
	baseOpen     time.Duration
	maxOpen      time.Duration
	probeTimeout time.Duration
	now          func() time.Time
	onChange     func(name string, from, to State)

	// hookMu orders the OnStateChange calls: it is taken before mu is
	// released, so hooks run one at a time in the order of the transitions,
	// without holding mu.
	hookMu sync.Mutex

	mu    sync.Mutex
	state State
	// gen is bumped on every transition and every new probe. A call reports
	// under the gen it was admitted with; a report from an older gen (a call
	// admitted before the breaker opened, a probe presumed lost) is ignored,
	// so that only the probe decides while the breaker is not closed.
	gen        uint64
	failures   int           // consecutive failures while Closed
	interval   time.Duration // the current open interval; BaseOpen after a close
	openUntil  time.Time     // while Open: when the next probe may go
	probing    bool          // while HalfOpen: a probe is in flight
	probeStart time.Time     // while probing: when the probe was admitted
}

// New validates cfg and returns a Closed Breaker.
func New(cfg Config) (*Breaker, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Breaker{
		name:         cfg.Name,
		threshold:    cfg.FailureThreshold,
		baseOpen:     cfg.BaseOpen,
		maxOpen:      cfg.MaxOpen,
		probeTimeout: cfg.ProbeTimeout,
		now:          cfg.Now,
		onChange:     cfg.OnStateChange,
	}, nil
}

// Do calls op unless the breaker refuses the call, and records what op's
// error says about the upstream (see classify). It returns op's error
// unchanged.
//
// While the breaker is Open, or HalfOpen with its probe in flight, Do
// returns at once, without calling op, a *domain.Error upstream-unavailable
// whose RetryAfter is the time until the next probe may go (one second while
// a probe is in flight) and whose cause wraps ErrOpen. Once the open
// interval has passed, exactly one caller is let through as the probe: its
// success closes the breaker, its failure reopens it for twice the interval
// (up to MaxOpen).
//
// If op panics, the call is recorded as inconclusive (a probe is handed to
// the next caller) and the panic goes on.
func (b *Breaker) Do(ctx context.Context, op func(ctx context.Context) error) error {
	if op == nil {
		return errors.New("breaker: do: nil op")
	}
	if b == nil {
		return op(ctx)
	}
	gen, err := b.admit()
	if err != nil {
		return err
	}
	reported := false
	defer func() {
		if !reported {
			b.report(gen, inconclusive)
		}
	}()
	err = op(ctx)
	reported = true
	b.report(gen, classifyCall(ctx, err))
	return err
}

// Allow is Do in two halves, for a call whose outcome is known later than
// its start. When the breaker refuses the call, err is the same fail-fast
// error as Do's and done is nil. Otherwise the caller makes the call and
// then calls done once with its error; later calls of done do nothing.
//
// Call done as soon as the upstream has answered (for a streamed body, once
// the status is known, not when the stream ends): a probe holds back every
// other caller until it reports, and one that never reports is presumed lost
// only after ProbeTimeout. done with an error wrapping context.Canceled is
// inconclusive.
func (b *Breaker) Allow() (done func(err error), err error) {
	if b == nil {
		return func(error) {}, nil
	}
	gen, err := b.admit()
	if err != nil {
		return nil, err
	}
	var once atomic.Bool
	return func(err error) {
		if once.CompareAndSwap(false, true) {
			b.report(gen, classify(err))
		}
	}, nil
}

// State returns the current state. An Open breaker whose interval has
// passed still reports Open until the next call is admitted as the probe.
func (b *Breaker) State() State {
	if b == nil {
		return Closed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}

// admit decides whether a call may go now, and returns the gen it reports
// under or the fail-fast error.
func (b *Breaker) admit() (uint64, error) {
	b.mu.Lock()
	now := b.now()
	from := b.state
	switch b.state {
	case Closed:
		gen := b.gen
		b.mu.Unlock()
		return gen, nil
	case Open:
		if wait := b.openUntil.Sub(now); wait > 0 {
			b.mu.Unlock()
			return 0, b.refusal(wait)
		}
		b.state = HalfOpen
	case HalfOpen:
		if b.probing && now.Sub(b.probeStart) < b.probeTimeout {
			b.mu.Unlock()
			return 0, b.refusal(probeBusyRetry)
		}
	}
	// This caller is the probe.
	b.gen++
	b.probing = true
	b.probeStart = now
	gen := b.gen
	b.unlockAndNotify(from, b.state)
	return gen, nil
}

// report records the outcome of a call admitted under gen.
func (b *Breaker) report(gen uint64, o outcome) {
	b.mu.Lock()
	from := b.state
	if gen != b.gen {
		b.mu.Unlock()
		return
	}
	switch b.state {
	case Closed:
		switch o {
		case answered:
			b.failures = 0
		case failed:
			b.failures++
			if b.failures >= b.threshold {
				b.open(b.baseOpen)
			}
		}
	case HalfOpen:
		// Only the probe holds the current gen while HalfOpen.
		switch o {
		case answered:
			b.state = Closed
			b.gen++
			b.failures = 0
			b.probing = false
		case failed:
			b.open(min(b.interval*2, b.maxOpen))
		case inconclusive:
			b.probing = false
		}
	}
	b.unlockAndNotify(from, b.state)
}

// open moves to Open for interval, from now. b.mu is held. Opening from
// Closed passes BaseOpen, which is how a close resets the interval.
func (b *Breaker) open(interval time.Duration) {
	if interval <= 0 { // an overflowing doubling
		interval = b.maxOpen
	}
	b.state = Open
	b.gen++
	b.failures = 0
	b.probing = false
	b.interval = interval
	b.openUntil = b.now().Add(interval)
}

// unlockAndNotify releases b.mu and tells OnStateChange about a transition
// from → to, if there was one. hookMu is taken before mu is released, so
// that hooks observe the transitions in order.
func (b *Breaker) unlockAndNotify(from, to State) {
	if from == to || b.onChange == nil {
		b.mu.Unlock()
		return
	}
	b.hookMu.Lock()
	b.mu.Unlock()
	defer b.hookMu.Unlock()
	b.onChange(b.name, from, to)
}

// refusal is the fail-fast error: 503 upstream-unavailable with Retry-After.
// Its message is generic because Name may identify an account.
func (b *Breaker) refusal(retryAfter time.Duration) error {
	cause := ErrOpen
	if b.name != "" {
		cause = fmt.Errorf("%s: %w", b.name, ErrOpen)
	}
	return &domain.Error{
		Code:       domain.CodeUpstreamUnavailable,
		Message:    "the upstream is failing; requests to it are paused, retry after the Retry-After delay",
		RetryAfter: retryAfter,
		Err:        cause,
	}
}
