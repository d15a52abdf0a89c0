// Package clocktest gives tests a clock that moves only when told to, and a
// poll for conditions that follow a clock no test can inject (Redis
// expiring a key on its own time).
package clocktest

import (
	"sync"
	"testing"
	"time"
)

// Start is where a New clock starts: a fixed instant, so that failures
// print the same times on every run.
var Start = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// Clock is a clock that moves only when told to. It is safe for concurrent
// use; pass its Now method where a func() time.Time is taken.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a Clock at Start.
func New() *Clock { return &Clock{now: Start} }

// At returns a Clock at t.
func At(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Eventually polls cond every 5 ms until it holds, failing tb with what
// after within. Use it only for what no injected clock controls.
func Eventually(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("%s: still not the case after %v", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
