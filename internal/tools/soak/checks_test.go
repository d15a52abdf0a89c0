package main

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"switchboard/internal/sandbox/fault"
	"switchboard/internal/sandbox/phonewagonsim"
)

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*options)
		ok     bool
	}{
		{"the defaults are valid", func(*options) {}, true},
		{"a zero duration is refused", func(o *options) { o.Duration = 0 }, false},
		{"a run over two hours is refused", func(o *options) { o.Duration = 3 * time.Hour }, false},
		{"a fault as long as its period is refused", func(o *options) { o.FaultFor = o.FaultEvery }, false},
		{"no faults at all is allowed", func(o *options) { o.FaultEvery, o.FaultFor = 0, 0 }, true},
		{"an overload beyond the rate bound is refused", func(o *options) { o.Overload, o.OverloadFactor = true, 1000 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := defaultOptions()
			tt.change(&o)
			if err := o.validate(); (err == nil) != tt.ok {
				t.Errorf("got error %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestOverloadSendsTheFactorTimesTheInboundLimit(t *testing.T) {
	o := defaultOptions()
	o.Overload = true
	if got, want := o.tenantRate(), float64(o.RateLimitPerMinute)/60*10; got != want {
		t.Errorf("got %g requests/s per tenant, want %g", got, want)
	}
	if o.faultsOn() {
		t.Error("got faults on in overload, want off")
	}
}

func TestLogCounts(t *testing.T) {
	var c logCounts
	for _, line := range []string{
		`{"level":"INFO","msg":"request"}`,
		`{"level":"ERROR","msg":"request failed"}`,
		`{"level":"ERROR","msg":"panic serving request"}`,
		`panic: runtime error: index out of range`,
		`not json`,
	} {
		c.add(line)
	}
	if c != (logCounts{Errors: 2, Panics: 2}) {
		t.Errorf("got %+v, want 2 errors and 2 panics", c)
	}
}

func TestChooseOpFollowsTheWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := []weightedOp{{opCalls, 3}, {opBudget, 1}, {opMessage, 0}}
	counts := map[opKind]int{}
	for range 4000 {
		counts[chooseOp(rng, m)]++
	}
	if counts[opMessage] != 0 || counts[opCalls] < 2800 || counts[opCalls] > 3200 {
		t.Errorf("got %v, want about 3000 calls, 1000 budget and no message", counts)
	}
}

func TestTapTellsTheRateLimiterFromAnInjected429(t *testing.T) {
	pw, err := phonewagonsim.New(phonewagonsim.Config{
		Accounts:      []phonewagonsim.Account{{ClientID: "a", ClientSecret: "s"}},
		RatePerMinute: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	tp := newTap(pw)
	srv := httptest.NewServer(tp)
	defer srv.Close()
	get := func() {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/companies", nil)
		req.SetBasicAuth("a", "s")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	get() // admitted
	get() // the limiter's 429
	pw.InjectFault(fault.Fault{Status: 429, Times: 1})
	get() // an injected 429
	statuses, limited := tp.counts()
	if statuses[200] != 1 || statuses[429] != 2 || limited != 1 {
		t.Errorf("got statuses %v and %d from the limiter, want one 200, two 429s, one from the limiter", statuses, limited)
	}
}

func TestFailuresNameEveryBrokenPromise(t *testing.T) {
	ok := report{Opts: defaultOptions(), Load: summary{Served: 1, Statuses: map[int]int{200: 1}}}
	ok.Replicas = []replicaReport{{Name: "r1", PeakRSS: 30 << 10, GoroutinesBefore: 9, GoroutinesAfter: 10}}
	if f := ok.failures(); len(f) != 0 {
		t.Fatalf("a clean run: got failures %v, want none", f)
	}
	bad := ok
	bad.Load.Statuses = map[int]int{200: 1, 500: 1}
	bad.Duplicates = 1
	bad.Budgets = []budgetCheck{{Account: "a", Violations: 2}}
	bad.Replicas = []replicaReport{{Name: "r1", PeakRSS: 30 << 10, GoroutinesBefore: 9, GoroutinesAfter: 40, Exit: errors.New("exit status 1")}}
	want := []string{"budget_violations", "duplicate_upstream_actions", "unexpected_5xx", "goroutines_after.r1", "exit.r1"}
	if got := bad.failures(); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
