package main

import (
	"errors"
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/sandbox/callwidgetsim"
	"switchboard/internal/sandbox/phonewagonsim"
)

func TestWindowExcess(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	at := func(secs ...float64) []time.Time {
		var out []time.Time
		for _, s := range secs {
			out = append(out, t0.Add(time.Duration(s*float64(time.Second))))
		}
		return out
	}
	tests := []struct {
		name   string
		times  []time.Time
		limit  int
		excess int
		peak   int
	}{
		{"no arrivals make no excess", nil, 2, 0, 0},
		{"arrivals at the limit are no excess", at(0, 1, 2), 3, 0, 3},
		{"each arrival past the limit in one window counts once", at(0, 1, 2, 3, 4), 3, 2, 5},
		{"arrivals exactly a window apart are in different windows", at(0, 60, 120), 1, 0, 1},
		{"arrivals just under a window apart share one", at(0, 59.999), 1, 1, 2},
		{"the order of the input does not matter", at(4, 0, 3, 1, 2), 3, 2, 5},
		{"a limit of zero reports only the peak", at(0, 1, 2), 0, 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			excess, peak := windowExcess(tt.times, time.Minute, tt.limit)
			if excess != tt.excess || peak != tt.peak {
				t.Errorf("got excess %d peak %d, want %d and %d", excess, peak, tt.excess, tt.peak)
			}
		})
	}
}

func TestCheckBudgetsCountsEachAccountAlone(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var reqs []phonewagonsim.Request
	for i := range 4 {
		reqs = append(reqs, phonewagonsim.Request{ClientID: "a", Time: t0.Add(time.Duration(i) * time.Second)})
		reqs = append(reqs, phonewagonsim.Request{ClientID: "b", Time: t0.Add(time.Duration(i) * time.Second)})
	}
	reqs = append(reqs, phonewagonsim.Request{ClientID: "b", Time: t0.Add(2 * time.Minute)})
	got := checkBudgets(reqs, []string{"a", "b", "c"}, 3)
	want := []budgetCheck{
		{Account: "a", Requests: 4, Violations: 1, Peak: 4},
		{Account: "b", Requests: 5, Violations: 1, Peak: 4},
		{Account: "c"},
	}
	for i := range got {
		got[i].ViolationTimes = nil
	}
	if !slices.EqualFunc(got, want, func(a, b budgetCheck) bool {
		return a.Account == b.Account && a.Requests == b.Requests && a.Violations == b.Violations && a.Peak == b.Peak
	}) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestActionTallyDuplicatesAndLost(t *testing.T) {
	act := func(status int, fields map[string]any) callwidgetsim.Action {
		return callwidgetsim.Action{Status: status, Fields: fields}
	}
	acts := []callwidgetsim.Action{
		act(202, map[string]any{"message": "soak-x-1"}),
		act(201, map[string]any{"first_name": "soak-x-2"}),
		act(201, map[string]any{"first_name": "soak-x-2"}), // a second contact for one logical POST
		act(422, map[string]any{"message": "soak-x-3"}),    // refused: not performed
		act(202, map[string]any{"message": "someone else's"}),
	}
	tally := actionTally(acts, "soak-x-")
	if got := duplicates(tally); got != 1 {
		t.Errorf("duplicates: got %d, want 1", got)
	}
	if got := lost([]string{"soak-x-1", "soak-x-2", "soak-x-3"}, tally); !slices.Equal(got, []string{"soak-x-3"}) {
		t.Errorf("lost: got %v, want [soak-x-3]", got)
	}
	if len(tally) != 2 {
		t.Errorf("tally: got %v, want the two performed markers only", tally)
	}
}

func TestClientErrorKind(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"a refused connection is refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), "refused"},
		{"a reset connection is reset", fmt.Errorf("read: %w", syscall.ECONNRESET), "reset"},
		{"an early end of the body is eof", errors.New("unexpected EOF"), "eof"},
		{"anything else is other", errors.New("strange"), "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clientErrorKind(tt.err); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
