package metrics

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"
)

// scrape gathers m's registry into metric name (with its labels' values,
// "|"-joined after the name) → value, for the families named.
func scrape(t *testing.T, m *Metrics, names ...string) map[string]float64 {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	for _, f := range families {
		if !want[f.GetName()] {
			continue
		}
		for _, mt := range f.GetMetric() {
			key := f.GetName()
			for _, l := range mt.GetLabel() {
				key += "|" + l.GetValue()
			}
			switch {
			case mt.GetGauge() != nil:
				out[key] = mt.GetGauge().GetValue()
			case mt.GetCounter() != nil:
				out[key] = mt.GetCounter().GetValue()
			}
		}
	}
	return out
}

func TestMirrorGaugesAreReadAtEachScrape(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		snap MirrorSnapshot
		err  error
		want map[string]float64
	}{
		{"a following mirror reports its calls, its lag and a full backfill",
			MirrorSnapshot{Calls: 1250, SyncedAt: now.Add(-12 * time.Second), BackfillDone: true, Retention: 90 * 24 * time.Hour},
			nil, map[string]float64{
				"switchboard_mirror_calls|acme-client":                   1250,
				"switchboard_mirror_sync_lag_seconds|acme-client":        12,
				"switchboard_mirror_backfill_progress_ratio|acme-client": 1,
			}},
		{"a backfill with a quarter of the retention left is three quarters done; no follow yet, no lag",
			MirrorSnapshot{Calls: 10, BackfillLeft: 10 * 24 * time.Hour, Retention: 40 * 24 * time.Hour},
			nil, map[string]float64{
				"switchboard_mirror_calls|acme-client":                   10,
				"switchboard_mirror_backfill_progress_ratio|acme-client": 0.75,
			}},
		{"a backfill not started yet is at zero",
			MirrorSnapshot{Retention: time.Hour},
			nil, map[string]float64{
				"switchboard_mirror_calls|acme-client":                   0,
				"switchboard_mirror_backfill_progress_ratio|acme-client": 0,
			}},
		{"a mirror whose state cannot be read reports nothing rather than a stale value",
			MirrorSnapshot{Calls: 5}, errors.New("redis down"), map[string]float64{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := New()
			m.mirrors.now = func() time.Time { return now }
			m.WatchMirror("acme-client", func(context.Context) (MirrorSnapshot, error) { return c.snap, c.err })
			got := scrape(t, m, "switchboard_mirror_calls", "switchboard_mirror_sync_lag_seconds", "switchboard_mirror_backfill_progress_ratio")
			if !maps.Equal(got, c.want) {
				t.Fatalf("scrape: got %v, want %v", got, c.want)
			}
		})
	}
}

func TestMirrorCountersAreLabelledByAccountKindAndOutcome(t *testing.T) {
	m := New()
	m.MirrorSyncRequest("acme-client", "follow", "ok")
	m.MirrorSyncRequest("acme-client", "follow", "ok")
	m.MirrorSyncRequest("acme-client", "backfill", "refused")
	m.MirrorLease("acme-client", true)
	m.MirrorLease("acme-client", false)
	got := scrape(t, m, "switchboard_mirror_sync_requests_total", "switchboard_mirror_lease_changes_total")
	want := map[string]float64{
		"switchboard_mirror_sync_requests_total|acme-client|follow|ok":        2,
		"switchboard_mirror_sync_requests_total|acme-client|backfill|refused": 1,
		"switchboard_mirror_lease_changes_total|acme-client|acquired":         1,
		"switchboard_mirror_lease_changes_total|acme-client|released":         1,
	}
	if !maps.Equal(got, want) {
		t.Fatalf("counters: got %v, want %v", got, want)
	}
}
