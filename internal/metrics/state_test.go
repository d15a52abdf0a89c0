package metrics

import (
	"context"
	"strings"
	"testing"
)

// gauges gathers the registry's gauges as "name{label}" → value, each
// series having a single label.
func gauges(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, s := range mf.GetMetric() {
			if g := s.GetGauge(); g != nil && len(s.GetLabel()) == 1 {
				out[mf.GetName()+"{"+s.GetLabel()[0].GetValue()+"}"] = g.GetValue()
			}
		}
	}
	return out
}

func TestStateGaugesAreReadAtEachScrape(t *testing.T) {
	m := New()
	t.Run("before SetState there is no series", func(t *testing.T) {
		for k := range gauges(t, m) {
			if strings.HasPrefix(k, "switchboard_") {
				t.Errorf("got %s, want no gateway gauge", k)
			}
		}
	})

	remaining := 50
	m.SetState(func(ctx context.Context) State {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("the state is read without a deadline")
		}
		return State{
			Budgets:  []BudgetSample{{Account: "acme-client", Limit: 50, Remaining: remaining}},
			Breakers: []BreakerSample{{Name: "phonewagon:acme-client", State: 1}},
		}
	})
	for _, r := range []int{50, 37} {
		remaining = r
		got := gauges(t, m)
		for k, want := range map[string]float64{
			"switchboard_phonewagon_budget_remaining{acme-client}":       float64(r),
			"switchboard_phonewagon_budget_limit{acme-client}":           50,
			"switchboard_upstream_breaker_state{phonewagon:acme-client}": 1,
		} {
			if got[k] != want {
				t.Errorf("with %d remaining: %s: got %v, want %v", r, k, got[k], want)
			}
		}
	}
}
