package main

import (
	"encoding/csv"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/sandbox/phonewagonsim"
)

// tiedUpstreams starts the simulators with acme's Phonewagon account on its
// own simulator: calls in whole seconds with bursts (as always), a rate and
// a budget that a walk at page size 1 cannot reach.
func tiedUpstreams(t *testing.T, seed int64, calls int) (*upstreams, phonewagonsim.Dataset) {
	t.Helper()
	pw, err := phonewagonsim.New(phonewagonsim.Config{
		Accounts: []phonewagonsim.Account{
			{ClientID: "acme-client", ClientSecret: "acme-pw-secret", Seed: seed, Calls: calls},
			{ClientID: "beta-client", ClientSecret: "beta-pw-secret", Seed: 2},
		},
		RatePerMinute: 10_000,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pw)
	t.Cleanup(srv.Close)
	up := startUpstreams(t)
	up.pwURL, up.budget = srv.URL, 10_000
	data, _ := pw.Dataset("acme-client")
	return up, data
}

// idsOf returns the ids of calls in order.
func idsOf(calls []phonewagonsim.Call) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = strconv.FormatInt(c.ID, 10)
	}
	return out
}

// cutsBurst reports whether pages of size n end inside a second that
// holds more calls.
func cutsBurst(calls []phonewagonsim.Call, n int) bool {
	for i := n - 1; i+1 < len(calls); i += n {
		if calls[i].StartTime == calls[i+1].StartTime {
			return true
		}
	}
	return false
}

func TestWalkingCallsServesEveryTiedCallOnceInOrder(t *testing.T) {
	up, data := tiedUpstreams(t, 7, 80)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	tok := token(t, "acme", auth.ScopeCallsRead)
	want := idsOf(data.Calls)

	for _, limit := range []int{1, 2, 3, 7, 13} {
		t.Run("pages of "+strconv.Itoa(limit)+" serve every call once, newest first", func(t *testing.T) {
			if limit > 1 && !cutsBurst(data.Calls, limit) {
				t.Fatalf("the data has no burst cut by pages of %d; the walk would prove nothing", limit)
			}
			got, pages := walkCalls(t, g, "/v1/calls?limit="+strconv.Itoa(limit), tok)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %d calls over %d pages:\n%v\nwant %d:\n%v", len(got), pages, got, len(want), want)
			}
		})
	}
	t.Run("a since filter is kept across a cut burst", func(t *testing.T) {
		since := data.Calls[len(data.Calls)/2].StartTime // a second some calls share or not; inclusive
		var wantSince []string
		for _, c := range data.Calls {
			if c.StartTime >= since {
				wantSince = append(wantSince, strconv.FormatInt(c.ID, 10))
			}
		}
		q := "/v1/calls?limit=3&since=" + timeParam(since)
		if got, _ := walkCalls(t, g, q, tok); !reflect.DeepEqual(got, wantSince) {
			t.Errorf("got %v, want %v", got, wantSince)
		}
	})
}

func TestExportServesEveryTiedCallOnceWhenAPageOfAThousandCutsABurst(t *testing.T) {
	up, data := tiedUpstreams(t, 3, 2500)
	if !cutsBurst(data.Calls, 1000) {
		t.Fatal("the data has no burst cut by pages of 1000; the export would prove nothing")
	}
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	tok := token(t, "acme", auth.ScopeCallsRead)
	want := idsOf(data.Calls)

	t.Run("as NDJSON", func(t *testing.T) {
		_, body := g.get(t, "/v1/calls/export", tok)
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
			var c struct{ ID string }
			if err := json.Unmarshal([]byte(line), &c); err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			got = append(got, c.ID)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %d calls, want %d in the upstream's order", len(got), len(want))
		}
	})
	t.Run("as CSV", func(t *testing.T) {
		_, body := g.get(t, "/v1/calls/export", tok, "Accept", "text/csv")
		rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		if err != nil || len(rows) == 0 {
			t.Fatalf("got CSV error %v, %d rows", err, len(rows))
		}
		var got []string
		for _, r := range rows[1:] {
			got = append(got, r[0])
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %d calls, want %d in the upstream's order", len(got), len(want))
		}
	})
}

// timeParam renders epoch milliseconds as an RFC 3339 query value.
func timeParam(ms int64) string {
	return url.QueryEscape(time.UnixMilli(ms).UTC().Format(time.RFC3339Nano))
}
