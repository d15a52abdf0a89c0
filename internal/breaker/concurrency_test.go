package breaker

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestExactlyOneProbeUnderConcurrentCallers(t *testing.T) {
	const callers = 50
	f := newFixture(t)
	f.open(t)
	f.clock.Advance(2 * time.Second)

	var calls atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	results := make(chan error, callers)
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			results <- f.b.Do(context.Background(), func(context.Context) error {
				// Only the first call waits, so that a second probe
				// would show up in calls instead of hanging the test.
				if calls.Add(1) == 1 {
					close(started)
					<-release
				}
				return nil
			})
		})
	}
	refused := 0
	for range callers - 1 {
		if err := <-results; err != nil {
			refusalRetry(t, err)
			refused++
		}
	}
	// The other callers may all be refused before the probe, admitted
	// first, reaches its op: wait for it to be in flight.
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the probe never ran its op")
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("got %d calls of op while the probe was in flight, want 1", got)
	}
	if got := f.b.State(); got != HalfOpen {
		t.Errorf("during the probe: got state %s, want half-open", got)
	}
	close(release)
	wg.Wait()
	close(results)
	for err := range results {
		if err != nil {
			t.Errorf("the last caller: got %v, want nil", err)
		}
	}
	if refused != callers-1 {
		t.Errorf("got %d callers refused, want %d", refused, callers-1)
	}
	f.wantState(t, Closed)
}

func TestConcurrentFailuresOpenTheBreakerOnce(t *testing.T) {
	const callers = 50
	f := newFixture(t)
	var admitted, wg sync.WaitGroup
	start := make(chan struct{})
	admitted.Add(callers)
	for range callers {
		wg.Go(func() {
			done, err := f.b.Allow()
			admitted.Done()
			if err != nil {
				t.Errorf("while closed: got %v, want every call admitted", err)
				return
			}
			<-start
			done(errServer)
		})
	}
	admitted.Wait()
	close(start)
	wg.Wait()
	f.wantState(t, Open)
	want := []transition{{"phonewagon:acme", Closed, Open}}
	if got := f.rec.transitions(); len(got) != 1 || got[0] != want[0] {
		t.Errorf("got transitions %v, want %v", got, want)
	}
}
