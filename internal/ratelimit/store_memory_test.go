package ratelimit_test

import (
	"testing"
	"time"

	"switchboard/internal/ratelimit"
)

// The memory store runs on a fake clock, so these tests pin the sliding
// window's arithmetic to the nanosecond; the conformance suite shows the
// Redis store computes the same decisions.

func TestMemoryStoreWindowEdges(t *testing.T) {
	const w = time.Minute
	clock := newFakeClock()
	s := ratelimit.NewMemoryStore(clock.Now)
	t0 := clock.Now()
	mustAdmit(t, s, "acme", 1, w)

	clock.Advance(w - time.Nanosecond)
	d := mustAdmit(t, s, "acme", 1, w)
	if d.Admitted || d.RetryAfter != time.Nanosecond || !d.ResetAt.Equal(t0.Add(w)) {
		t.Fatalf("one nanosecond before the window ends: got %+v, want refused for 1ns, reset at %v", d, t0.Add(w))
	}
	clock.Advance(time.Nanosecond)
	if d := mustAdmit(t, s, "acme", 1, w); !d.Admitted {
		t.Fatalf("when the window ends: got %+v, want admitted", d)
	}
}

func TestMemoryStoreDecisions(t *testing.T) {
	const w = time.Minute
	t0 := newFakeClock().Now()
	at := func(d time.Duration) time.Time { return t0.Add(d) }

	tests := []struct {
		name string
		// setup runs at t0 with a fresh store; the clock is then at now.
		setup func(s *ratelimit.MemoryStore, clock *fakeClock)
		limit int
		want  ratelimit.Decision
	}{
		{
			name:  "an unused account resets now",
			setup: func(*ratelimit.MemoryStore, *fakeClock) {},
			limit: 3,
			want:  ratelimit.Decision{Limit: 3, Remaining: 3, ResetAt: t0},
		},
		{
			name: "a partly used window resets when its oldest admission leaves",
			setup: func(s *ratelimit.MemoryStore, clock *fakeClock) {
				mustAdmit(t, s, "acme", 3, w)
				clock.Advance(10 * time.Second)
				mustAdmit(t, s, "acme", 3, w)
			},
			limit: 3,
			want:  ratelimit.Decision{Limit: 3, Remaining: 1, Used: 2, ResetAt: at(w)},
		},
		{
			name: "a full window frees its slot when the oldest admission leaves",
			setup: func(s *ratelimit.MemoryStore, clock *fakeClock) {
				mustAdmit(t, s, "acme", 2, w)
				clock.Advance(10 * time.Second)
				mustAdmit(t, s, "acme", 2, w)
				clock.Advance(20 * time.Second)
			},
			limit: 2,
			want:  ratelimit.Decision{Limit: 2, Used: 2, RetryAfter: 30 * time.Second, ResetAt: at(w)},
		},
		{
			name: "past a lowered limit a slot frees only when enough admissions have left",
			setup: func(s *ratelimit.MemoryStore, clock *fakeClock) {
				for range 3 {
					mustAdmit(t, s, "acme", 3, w)
					clock.Advance(10 * time.Second)
				}
			},
			limit: 2,
			// Admissions at 0, 10 and 20 s; the one at 10 s must leave
			// before only one is left.
			want: ratelimit.Decision{Limit: 2, Used: 3, RetryAfter: 40 * time.Second, ResetAt: at(10*time.Second + w)},
		},
		{
			name: "a pause longer than the full window decides the reset",
			setup: func(s *ratelimit.MemoryStore, clock *fakeClock) {
				mustAdmit(t, s, "acme", 1, w)
				mustPause(t, s, "acme", 90*time.Second)
			},
			limit: 1,
			want:  ratelimit.Decision{Limit: 1, Used: 1, RetryAfter: 90 * time.Second, ResetAt: at(90 * time.Second)},
		},
		{
			name: "a full window longer than the pause decides the reset",
			setup: func(s *ratelimit.MemoryStore, clock *fakeClock) {
				mustAdmit(t, s, "acme", 1, w)
				mustPause(t, s, "acme", 5*time.Second)
			},
			limit: 1,
			want:  ratelimit.Decision{Limit: 1, Used: 1, RetryAfter: w, ResetAt: at(w)},
		},
		{
			name: "a pause hides the slots that remain",
			setup: func(s *ratelimit.MemoryStore, clock *fakeClock) {
				mustAdmit(t, s, "acme", 5, w)
				mustPause(t, s, "acme", 5*time.Second)
			},
			limit: 5,
			want:  ratelimit.Decision{Limit: 5, Used: 1, RetryAfter: 5 * time.Second, ResetAt: at(5 * time.Second)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			s := ratelimit.NewMemoryStore(clock.Now)
			tc.setup(s, clock)
			if got := mustPeek(t, s, "acme", tc.limit, w); got != tc.want {
				t.Errorf("Peek: got %+v, want %+v", got, tc.want)
			}
			got := mustAdmit(t, s, "acme", tc.limit, w)
			if got.Admitted != (tc.want.RetryAfter == 0) {
				t.Errorf("Admit: got admitted %v, want %v", got.Admitted, tc.want.RetryAfter == 0)
			}
			if !got.Admitted && got != tc.want {
				t.Errorf("Admit: got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestMemoryStoreSurvivesAClockStepBack(t *testing.T) {
	const w = time.Minute
	clock := newFakeClock()
	s := ratelimit.NewMemoryStore(clock.Now)
	clock.Advance(10 * time.Second)
	mustAdmit(t, s, "acme", 2, w)
	clock.Advance(-10 * time.Second) // the admission now looks 10 s in the future
	mustAdmit(t, s, "acme", 2, w)

	clock.Advance(w)
	d := mustAdmit(t, s, "acme", 2, w)
	if !d.Admitted || d.Remaining != 0 {
		t.Fatalf("once the earlier admission left: got %+v, want admitted with 0 remaining", d)
	}
}
