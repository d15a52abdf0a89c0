package clocktest

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestClockMovesOnlyWhenTold(t *testing.T) {
	c := New()
	if got := c.Now(); !got.Equal(Start) {
		t.Fatalf("got %v, want %v", got, Start)
	}
	c.Advance(90 * time.Second)
	if got := c.Now(); !got.Equal(Start.Add(90 * time.Second)) {
		t.Fatalf("after Advance got %v, want %v", got, Start.Add(90*time.Second))
	}
	c.Set(Start)
	if got := c.Now(); !got.Equal(Start) {
		t.Fatalf("after Set got %v, want %v", got, Start)
	}
}

func TestEventuallyReturnsOnceTheConditionHolds(t *testing.T) {
	var calls atomic.Int32
	Eventually(t, time.Second, "third call", func() bool { return calls.Add(1) >= 3 })
	if calls.Load() != 3 {
		t.Fatalf("got %d calls, want 3", calls.Load())
	}
}
