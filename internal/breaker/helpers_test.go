package breaker

import (
	"context"
	"sync"
	"testing"
	"time"

	"switchboard/internal/clocktest"
	"switchboard/internal/domain"
)

// transition is one OnStateChange call.
type transition struct {
	name     string
	from, to State
}

// recorder collects OnStateChange calls.
type recorder struct {
	mu  sync.Mutex
	got []transition
}

func (r *recorder) hook(name string, from, to State) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, transition{name, from, to})
}

func (r *recorder) transitions() []transition {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]transition(nil), r.got...)
}

// Errors as the upstream clients return them.
var (
	errServer      = domain.Errorf(domain.CodeUpstreamError, "Phonewagon answered with an unexpected status 500")
	errRateLimited = &domain.Error{Code: domain.CodeUpstreamRateLimited, Message: "rate limited", RetryAfter: 30 * time.Second}
)

// fixture is a Breaker on a fake clock with a transition recorder:
// threshold 3, base 2 s, max 10 s.
type fixture struct {
	b     *Breaker
	clock *clocktest.Clock
	rec   *recorder
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{clock: clocktest.New(), rec: &recorder{}}
	b, err := New(Config{
		Name:             "phonewagon:acme",
		FailureThreshold: 3,
		BaseOpen:         2 * time.Second,
		MaxOpen:          10 * time.Second,
		Now:              f.clock.Now,
		OnStateChange:    f.rec.hook,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.b = b
	return f
}

// call runs Do with an op that returns err, and reports whether op ran.
func (f *fixture) call(err error) (ran bool, got error) {
	got = f.b.Do(context.Background(), func(context.Context) error {
		ran = true
		return err
	})
	return ran, got
}

// open drives the breaker open with threshold failures.
func (f *fixture) open(t *testing.T) {
	t.Helper()
	for range f.b.threshold {
		f.call(errServer)
	}
	if got := f.b.State(); got != Open {
		t.Fatalf("after %d failures: got state %s, want open", f.b.threshold, got)
	}
}

// wantState fails the test unless the breaker is in want.
func (f *fixture) wantState(t *testing.T, want State) {
	t.Helper()
	if got := f.b.State(); got != want {
		t.Fatalf("got state %s, want %s", got, want)
	}
}

// refusalRetry returns the RetryAfter of a fail-fast refusal, failing the
// test if err is not one.
func refusalRetry(t *testing.T, err error) time.Duration {
	t.Helper()
	de, ok := err.(*domain.Error)
	if !ok || de.Code != domain.CodeUpstreamUnavailable {
		t.Fatalf("got error %v, want an upstream-unavailable *domain.Error", err)
	}
	return de.RetryAfter
}
