package main

import (
	"errors"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		var out []time.Duration
		for _, v := range n {
			out = append(out, time.Duration(v)*time.Millisecond)
		}
		return out
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"no latencies give zero", nil, 50, 0},
		{"the median of four is the second (nearest rank)", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"the 99th of a hundred is the 99th", ms(hundred()...), 99, 99 * time.Millisecond},
		{"the 100th percentile is the maximum", ms(1, 5, 9), 100, 9 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRecorderSummary(t *testing.T) {
	r := newRecorder(time.Second)
	t0 := time.Now()
	r.add(outcome{Tenant: "t1", Start: t0, Latency: 10 * time.Millisecond, Status: 200, Cache: "HIT"})
	r.add(outcome{Tenant: "t1", Start: t0, Latency: 2 * time.Second, Status: 503, Slug: "upstream-budget-exhausted"})
	r.add(outcome{Tenant: "t1", Start: t0, Latency: time.Millisecond, Status: 429, Slug: "rate-limited"})
	r.add(outcome{Tenant: "t1", Start: t0, Latency: time.Millisecond, Status: 500, Slug: "internal"})
	r.add(outcome{Tenant: "t1", Start: t0, Err: errors.New("test")})
	r.add(outcome{Tenant: "t1", Replica: "r2", Start: t0, Err: errors.New("killed")})
	s := r.summarize(func(o outcome) bool { return o.Replica == "r2" })

	if s.Served != 4 || s.ClientErrors["other"] != 1 || s.KilledErrors != 1 {
		t.Errorf("served %d, client errors %v, killed %d; want 4, one other and one killed", s.Served, s.ClientErrors, s.KilledErrors)
	}
	if s.OverBound != 1 || s.Max != 2*time.Second {
		t.Errorf("over bound %d, max %s; want 1 and 2s", s.OverBound, s.Max)
	}
	if s.AdmittedPeak["t1"] != 3 {
		t.Errorf("admitted peak: got %d, want 3 (the rate-limited one is not admitted)", s.AdmittedPeak["t1"])
	}
	if len(s.Odd) != 2 {
		t.Errorf("odd samples: got %d, want the 500 and the client error", len(s.Odd))
	}
	if s.Slowest[0].Latency != 2*time.Second {
		t.Errorf("slowest: got %s first, want 2s", s.Slowest[0].Latency)
	}
	if s.Cache["HIT"] != 1 {
		t.Errorf("cache: got %v, want one HIT", s.Cache)
	}
}

// hundred is 1, 2, …, 100.
func hundred() []int {
	out := make([]int, 100)
	for i := range out {
		out[i] = i + 1
	}
	return out
}
