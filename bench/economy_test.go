package main

import (
	"maps"
	"testing"
	"time"
)

func TestParseSyncCounts(t *testing.T) {
	text := `# HELP switchboard_mirror_sync_requests_total Upstream requests of the call-history mirror's sync.
# TYPE switchboard_mirror_sync_requests_total counter
switchboard_mirror_sync_requests_total{account="bench-acct-0",kind="backfill",outcome="ok"} 3
switchboard_mirror_sync_requests_total{account="bench-acct-1",kind="backfill",outcome="ok"} 4
switchboard_mirror_sync_requests_total{account="a \"quoted\", with a comma",kind="follow",outcome="ok"} 7 1700000000000
switchboard_mirror_sync_requests_total{account="bench-acct-0",kind="follow",outcome="refused"} 2
switchboard_mirror_sync_requests_total{account="bench-acct-0",kind="revisit",outcome="error"} 1
switchboard_mirror_sync_requests_total_other{kind="follow",outcome="ok"} 100
switchboard_upstream_requests_total{upstream="phonewagon",endpoint="calls",status="200"} 50
`
	got, err := parseSyncCounts(text)
	if err != nil {
		t.Fatal(err)
	}
	want := syncCounts{{"backfill", "ok"}: 7, {"follow", "ok"}: 7, {"follow", "refused"}: 2, {"revisit", "error"}: 1}
	if !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}

	for _, bad := range []string{
		`switchboard_mirror_sync_requests_total{kind="follow",outcome="ok"} x` + "\n",
		`switchboard_mirror_sync_requests_total{kind="follow"} 1` + "\n",
		`switchboard_mirror_sync_requests_total{kind="follow",outcome="ok"}` + "\n",
	} {
		if _, err := parseSyncCounts(bad); err == nil {
			t.Errorf("parseSyncCounts(%q): got no error, want one", bad)
		}
	}
}

func TestSyncCountsMinusCountsWhatWasSentInTheWindow(t *testing.T) {
	before := syncCounts{{"backfill", "ok"}: 40, {"follow", "ok"}: 2, {"follow", "refused"}: 1}
	after := syncCounts{{"backfill", "ok"}: 40, {"follow", "ok"}: 6, {"follow", "refused"}: 4, {"revisit", "ok"}: 1, {"revisit", "error"}: 1}
	sent, refused := after.minus(before)
	if want := map[string]int64{"backfill": 0, "follow": 4, "revisit": 2}; !maps.Equal(sent, want) {
		t.Errorf("sent: got %v, want %v", sent, want)
	}
	if refused != 3 {
		t.Errorf("refused: got %d, want 3", refused)
	}
}

func TestUpstreamKind(t *testing.T) {
	tests := []struct {
		upstream, path, want string
	}{
		{"Phonewagon", "/calls", kindCalls},
		{"Phonewagon", "/companies", kindCompanies},
		{"Phonewagon", "/campaigns", kindCampaigns},
		{"Phonewagon", "/calls/extra", kindOther},
		{"CallWidget", "/api/v1/api-login", kindLogin},
		{"CallWidget", "/api/v1/refresh-token", kindLogin},
		{"CallWidget", "/api/v1/share/tags", kindLookups},
		{"CallWidget", "/api/v1/share/departments", kindLookups},
		{"CallWidget", "/api/v1/new-call", kindOther},
		{"Elsewhere", "/calls", kindOther},
	}
	for _, tt := range tests {
		if got := upstreamKind(tt.upstream, tt.path); got != tt.want {
			t.Errorf("upstreamKind(%s, %s): got %q, want %q", tt.upstream, tt.path, got, tt.want)
		}
	}
}

func TestPercentileIsTheNearestRank(t *testing.T) {
	ms := func(xs ...int) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100…1, unsorted
	}
	tests := []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"no values give 0", nil, 0.99, 0},
		{"one value is every percentile", ms(7), 0.5, 7 * time.Millisecond},
		{"the median of four is the second", ms(4, 1, 3, 2), 0.5, 2 * time.Millisecond},
		{"the p99 of 100 values is the 99th", ms(hundred...), 0.99, 99 * time.Millisecond},
		{"the p99 of 10 values is the largest", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.99, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.in, tt.p); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSummarizeOutcomes(t *testing.T) {
	os := []outcome{
		{took: 10 * time.Millisecond, status: 200, mirrored: true},
		{took: 20 * time.Millisecond, status: 200},
		{took: 2 * time.Second, status: 503},
		{took: 30 * time.Millisecond, status: 200, failed: true}, // cut off mid-body
		{took: 5 * time.Second, failed: true},                    // no answer: no latency
	}
	got := summarizeOutcomes(os)
	if got.Requests != 5 || got.OK != 2 || got.Failed != 2 || got.Mirrored != 1 {
		t.Errorf("got %d requests, %d ok, %d failed, %d mirrored; want 5, 2, 2, 1", got.Requests, got.OK, got.Failed, got.Mirrored)
	}
	if want := map[int]int64{200: 3, 503: 1}; !maps.Equal(got.Status, want) {
		t.Errorf("statuses: got %v, want %v", got.Status, want)
	}
	if got.P50 != 20*time.Millisecond || got.P99 != 2*time.Second {
		t.Errorf("got p50 %v p99 %v, want 20ms and 2s (answered requests only)", got.P50, got.P99)
	}
	if s := otherStatuses(got); s != "1 × 503" {
		t.Errorf("otherStatuses: got %q, want %q", s, "1 × 503")
	}
}

func TestServedPerUpstream(t *testing.T) {
	f := economyFigures{Client: clientStats{All: appStats{Requests: 480}}, UpstreamTotal: 20}
	if got := f.ServedPerUpstream(); got != 24 {
		t.Errorf("got %v, want 24", got)
	}
	if got := (economyFigures{}).ServedPerUpstream(); got != 0 {
		t.Errorf("without upstream requests: got %v, want 0", got)
	}
}
