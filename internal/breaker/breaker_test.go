package breaker

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/internal/clocktest"
	"switchboard/internal/domain"
)

func TestOpensAfterConsecutiveFailures(t *testing.T) {
	tests := []struct {
		name string
		errs []error
		want State
	}{
		{"one failure short of the threshold stays closed", []error{errServer, errServer}, Closed},
		{"the threshold of failures in a row opens it", []error{errServer, errServer, errServer}, Open},
		{"a success between failures resets the count", []error{errServer, errServer, nil, errServer, errServer}, Closed},
		{"a 429 between failures resets the count", []error{errServer, errServer, errRateLimited, errServer, errServer}, Closed},
		{"a cancellation between failures neither counts nor resets", []error{errServer, errServer, context.Canceled, errServer}, Open},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			for _, err := range tt.errs {
				f.call(err)
			}
			f.wantState(t, tt.want)
		})
	}
}

func TestDoReturnsTheErrorOfOp(t *testing.T) {
	f := newFixture(t)
	if _, got := f.call(errServer); got != errServer {
		t.Errorf("got %v, want op's error unchanged", got)
	}
	if _, got := f.call(nil); got != nil {
		t.Errorf("got %v, want nil", got)
	}
}

func TestOpenFailsFastWithoutCallingOp(t *testing.T) {
	f := newFixture(t)
	f.open(t)
	var elapsed time.Duration
	for _, at := range []time.Duration{0, 500 * time.Millisecond, 1999 * time.Millisecond} {
		f.clock.Advance(at - elapsed)
		elapsed = at
		ran, err := f.call(nil)
		if ran {
			t.Fatalf("%v after opening: got op called, want a refusal", at)
		}
		if got, want := refusalRetry(t, err), 2*time.Second-at; got != want {
			t.Errorf("%v after opening: got RetryAfter %v, want %v", at, got, want)
		}
		if !errors.Is(err, ErrOpen) {
			t.Errorf("got %v, want it to wrap ErrOpen", err)
		}
	}
}

// mustRetry returns the RetryAfter of a refusal now.
func mustRetry(t *testing.T, f *fixture) time.Duration {
	t.Helper()
	done, err := f.b.Allow()
	if done != nil {
		t.Fatalf("got the call admitted, want a refusal")
	}
	return refusalRetry(t, err)
}

func TestRefusalNamesTheBreakerOnlyInTheLogCause(t *testing.T) {
	f := newFixture(t)
	f.open(t)
	_, err := f.call(nil)
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("got %v, want a *domain.Error", err)
	}
	if !strings.Contains(err.Error(), "phonewagon:acme") {
		t.Errorf("got log line %q, want it to name the breaker", err)
	}
	if strings.Contains(de.Message, "acme") {
		t.Errorf("got caller-safe message %q, want it not to name the account", de.Message)
	}
}

func TestProbeSuccessClosesTheBreaker(t *testing.T) {
	f := newFixture(t)
	f.open(t)
	f.clock.Advance(2 * time.Second)
	var during State
	err := f.b.Do(context.Background(), func(context.Context) error {
		during = f.b.State()
		return nil
	})
	if err != nil {
		t.Fatalf("probe: got %v, want nil", err)
	}
	if during != HalfOpen {
		t.Errorf("during the probe: got state %s, want half-open", during)
	}
	f.wantState(t, Closed)
	if ran, _ := f.call(nil); !ran {
		t.Errorf("after closing: got op skipped, want it called")
	}
}

func TestProbeFailureDoublesTheIntervalUpToMaxOpen(t *testing.T) {
	f := newFixture(t)
	f.open(t)
	f.clock.Advance(2 * time.Second)
	for _, want := range []time.Duration{4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second} {
		if ran, _ := f.call(errServer); !ran {
			t.Fatalf("when the interval has passed: got the probe refused, want it called")
		}
		f.wantState(t, Open)
		if got := mustRetry(t, f); got != want {
			t.Fatalf("after a failed probe: got RetryAfter %v, want %v", got, want)
		}
		f.clock.Advance(want - time.Nanosecond)
		if ran, _ := f.call(nil); ran {
			t.Fatalf("1ns before the next probe: got op called, want a refusal")
		}
		f.clock.Advance(time.Nanosecond)
	}
}

func TestProbeSuccessResetsTheInterval(t *testing.T) {
	f := newFixture(t)
	f.open(t)
	f.clock.Advance(2 * time.Second)
	f.call(errServer) // reopens for 4 s
	f.clock.Advance(4 * time.Second)
	f.call(nil) // closes
	f.wantState(t, Closed)
	f.open(t)
	if got, want := mustRetry(t, f), 2*time.Second; got != want {
		t.Errorf("reopened after a close: got RetryAfter %v, want %v", got, want)
	}
}

func TestRateLimitingNeverOpensTheBreaker(t *testing.T) {
	f := newFixture(t)
	for i := range 100 {
		if ran, _ := f.call(errRateLimited); !ran {
			t.Fatalf("call %d: got op skipped, want every 429 to reach the upstream", i)
		}
	}
	f.wantState(t, Closed)
	if got := f.rec.transitions(); len(got) != 0 {
		t.Errorf("got transitions %v, want none", got)
	}
}

func TestOnStateChangeIsToldEveryTransition(t *testing.T) {
	f := newFixture(t)
	f.open(t)                        // closed → open
	f.clock.Advance(2 * time.Second) //
	f.call(errServer)                // open → half-open → open
	f.clock.Advance(4 * time.Second) //
	f.call(context.Canceled)         // open → half-open, and stays half-open
	f.call(nil)                      // half-open → closed
	want := []transition{
		{"phonewagon:acme", Closed, Open},
		{"phonewagon:acme", Open, HalfOpen},
		{"phonewagon:acme", HalfOpen, Open},
		{"phonewagon:acme", Open, HalfOpen},
		{"phonewagon:acme", HalfOpen, Closed},
	}
	if got := f.rec.transitions(); !slices.Equal(got, want) {
		t.Errorf("got transitions %v, want %v", got, want)
	}
}

func TestOnStateChangeMayReadTheState(t *testing.T) {
	c := clocktest.New()
	var b *Breaker
	var seen []State
	b, err := New(Config{FailureThreshold: 1, Now: c.Now, OnStateChange: func(_ string, _, to State) {
		if got := b.State(); got != to {
			t.Errorf("in the hook: got state %s, want %s", got, to)
		}
		seen = append(seen, to)
	}})
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Do(context.Background(), func(context.Context) error { return errServer })
	if !slices.Equal(seen, []State{Open}) {
		t.Errorf("got %v, want [open]", seen)
	}
}

func TestInconclusiveProbeHandsTheProbeToTheNextCaller(t *testing.T) {
	f := newFixture(t)
	f.open(t)
	f.clock.Advance(2 * time.Second)
	if ran, _ := f.call(context.Canceled); !ran {
		t.Fatalf("got the probe refused, want it called")
	}
	f.wantState(t, HalfOpen)
	if ran, _ := f.call(nil); !ran {
		t.Fatalf("got the next caller refused, want it to probe")
	}
	f.wantState(t, Closed)
}

func TestReportsOfCallsAdmittedBeforeTheBreakerOpenedAreIgnored(t *testing.T) {
	f := newFixture(t)
	var late []func(error)
	for range 4 {
		done, err := f.b.Allow()
		if err != nil {
			t.Fatal(err)
		}
		late = append(late, done)
	}
	f.open(t)

	f.clock.Advance(time.Second)
	late[0](errServer)
	late[1](nil)
	f.wantState(t, Open)
	if got, want := mustRetry(t, f), time.Second; got != want {
		t.Errorf("while open: got RetryAfter %v, want %v (late reports must not move the interval)", got, want)
	}

	f.clock.Advance(time.Second)
	probe, err := f.b.Allow()
	if err != nil {
		t.Fatalf("got %v, want the probe admitted", err)
	}
	late[2](nil)
	f.wantState(t, HalfOpen)
	probe(nil)
	f.wantState(t, Closed)

	f.call(errServer)
	f.call(errServer)
	late[3](errServer)
	f.wantState(t, Closed)
	if got := len(f.rec.transitions()); got != 3 {
		t.Errorf("got %d transitions, want 3: %v", got, f.rec.transitions())
	}
}

func TestDoneCountsOnlyOnce(t *testing.T) {
	f := newFixture(t)
	done, err := f.b.Allow()
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		done(errServer)
	}
	f.wantState(t, Closed)
}

func TestLostProbeIsReplacedAfterProbeTimeout(t *testing.T) {
	f := newFixture(t)
	f.open(t)
	f.clock.Advance(2 * time.Second)
	lost, err := f.b.Allow()
	if err != nil {
		t.Fatalf("got %v, want the probe admitted", err)
	}
	f.clock.Advance(DefaultProbeTimeout - time.Nanosecond)
	if got, want := mustRetry(t, f), time.Second; got != want {
		t.Errorf("while the probe is out: got RetryAfter %v, want %v", got, want)
	}
	f.clock.Advance(time.Nanosecond)
	probe, err := f.b.Allow()
	if err != nil {
		t.Fatalf("after ProbeTimeout: got %v, want a new probe admitted", err)
	}
	lost(errServer)
	f.wantState(t, HalfOpen)
	probe(nil)
	f.wantState(t, Closed)
}

func TestPanickingProbeHandsTheProbeOn(t *testing.T) {
	f := newFixture(t)
	f.open(t)
	f.clock.Advance(2 * time.Second)
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("got no panic, want op's panic to go on")
			}
		}()
		_ = f.b.Do(context.Background(), func(context.Context) error { panic("boom") })
	}()
	if ran, _ := f.call(nil); !ran {
		t.Fatalf("after a panicking probe: got the next caller refused, want it to probe")
	}
	f.wantState(t, Closed)
}

func TestNilBreakerLetsEverythingThrough(t *testing.T) {
	var b *Breaker
	ran := false
	err := b.Do(context.Background(), func(context.Context) error { ran = true; return errServer })
	if !ran || err != errServer {
		t.Errorf("got ran=%v err=%v, want op called and its error returned", ran, err)
	}
	done, err := b.Allow()
	if done == nil || err != nil {
		t.Fatalf("got done=%v err=%v, want the call admitted", done != nil, err)
	}
	done(errServer)
	if got := b.State(); got != Closed {
		t.Errorf("got state %s, want closed", got)
	}
}

func TestDoRefusesANilOp(t *testing.T) {
	f := newFixture(t)
	if err := f.b.Do(context.Background(), nil); err == nil {
		t.Errorf("got nil, want an error")
	}
	if err := (*Breaker)(nil).Do(context.Background(), nil); err == nil {
		t.Errorf("nil breaker: got nil, want an error")
	}
}
