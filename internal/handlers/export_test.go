package handlers

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/ratelimit"
)

// ndjsonIDs returns the id of every line of an NDJSON export.
func ndjsonIDs(t *testing.T, body string) []string {
	t.Helper()
	ids := []string{}
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if line == "" {
			continue
		}
		var c domain.Call
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

// csvIDs returns the header and the id column of a CSV export.
func csvIDs(t *testing.T, body string) (header []string, ids []string) {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("got CSV %q (%v), want a header row at least", body, err)
	}
	ids = []string{}
	for _, r := range rows[1:] {
		ids = append(ids, r[0])
	}
	return rows[0], ids
}

func TestExportServesEveryTiedCallOnceInOrderAtPageSizesThatCutBursts(t *testing.T) {
	for _, size := range []int{1, 2, 3, 7, 11} {
		t.Run("pages of "+strconv.Itoa(size), func(t *testing.T) {
			g := newSimGateway(t, simOptions{pageSize: size})
			if size > 1 && !g.cutsBursts(size) {
				t.Fatalf("the data has no burst cut by pages of %d; the test would prove nothing", size)
			}
			resp, body := g.send(t, http.MethodGet, "/v1/calls/export")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got status %d, want 200: %s", resp.StatusCode, body)
			}
			if got, want := ndjsonIDs(t, body), g.wantIDs(); !reflect.DeepEqual(got, want) {
				t.Errorf("NDJSON: got %d calls %v,\nwant %d calls %v", len(got), got, len(want), want)
			}
			_, body = g.send(t, http.MethodGet, "/v1/calls/export", "Accept", "text/csv")
			header, got := csvIDs(t, body)
			if header[0] != "id" {
				t.Errorf("CSV: got header %v, want one starting with id", header)
			}
			if want := g.wantIDs(); !reflect.DeepEqual(got, want) {
				t.Errorf("CSV: got %d calls %v,\nwant %d calls %v", len(got), got, len(want), want)
			}
		})
	}
}

func TestExportWaitsForTheBudgetBetweenPagesInsteadOfAborting(t *testing.T) {
	const limit = 2
	clock := &fakeClock{now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	budget, err := ratelimit.NewBudget(ratelimit.BudgetConfig{
		Account: "acme-client", Limit: limit, Store: ratelimit.NewMemoryStore(clock.Now),
		Now: clock.Now, Sleep: clock.Sleep,
	})
	if err != nil {
		t.Fatal(err)
	}
	// 60 calls in pages of 7: 9 pages, over four windows of a budget of 2.
	// The simulator allows no more than the budget either, so a request
	// past the budget would be a 429 and an extra request.
	g := newSimGateway(t, simOptions{pageSize: 7, budget: budget, clock: clock, simRate: limit})
	start := clock.Now()

	resp, body := g.send(t, http.MethodGet, "/v1/calls/export")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got status %d, want 200: %s", resp.StatusCode, body)
	}
	if got, want := ndjsonIDs(t, body), g.wantIDs(); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %d calls, want all %d in order", len(got), len(want))
	}
	if got, want := g.sim.RequestCount(), 9; got != want {
		t.Errorf("got %d upstream requests, want %d (one per page, none refused)", got, want)
	}
	if waited, want := clock.Now().Sub(start), 4*ratelimit.Window; waited < want {
		t.Errorf("got the export done %v after it began, want at least %v: 9 requests at %d a minute", waited, want, limit)
	}
}

func TestHeadExportReadsNoCall(t *testing.T) {
	g := newSimGateway(t, simOptions{})
	for _, accept := range []string{"", "text/csv"} {
		t.Run("HEAD with Accept "+strconv.Quote(accept)+" answers the headers only", func(t *testing.T) {
			resp, body := g.send(t, http.MethodHead, "/v1/calls/export", "Accept", accept)
			if resp.StatusCode != http.StatusOK || body != "" {
				t.Fatalf("got status %d and %d bytes, want 200 and no body", resp.StatusCode, len(body))
			}
			want := negotiateExport(accept) + "; charset=utf-8"
			if got := resp.Header.Get("Content-Type"); got != want {
				t.Errorf("got Content-Type %q, want %q", got, want)
			}
			if got := g.sim.RequestCount(); got != 0 {
				t.Errorf("got %d upstream requests, want 0", got)
			}
		})
	}
}

func TestCSVExportOfNoCallIsItsHeaderRow(t *testing.T) {
	g := newSimGateway(t, simOptions{})
	// A window before the oldest call: nothing matches.
	_, body := g.send(t, http.MethodGet, "/v1/calls/export?until=2000-01-01T00:00:00Z", "Accept", "text/csv")
	header, ids := csvIDs(t, body)
	if !reflect.DeepEqual(header, csvHeader) || len(ids) != 0 {
		t.Errorf("got header %v and %d rows, want the header row %v alone", header, len(ids), csvHeader)
	}
}

func TestNegotiateExport(t *testing.T) {
	tests := []struct {
		name, accept, want string
	}{
		{"a missing Accept gets the default NDJSON", "", mediaNDJSON},
		{"*/* gets the default NDJSON", "*/*", mediaNDJSON},
		{"text/csv gets CSV", "text/csv", mediaCSV},
		{"a higher q for NDJSON wins over CSV listed first", "text/csv;q=0.5, application/x-ndjson;q=0.9", mediaNDJSON},
		{"a higher q for CSV wins over NDJSON listed first", "application/x-ndjson;q=0.4, text/csv;q=0.8", mediaCSV},
		{"text/csv;q=0 alone allows neither and falls back to NDJSON", "text/csv;q=0", mediaNDJSON},
		{"q=0 refuses CSV even when */* allows it", "text/csv;q=0, */*", mediaNDJSON},
		{"q=0 refuses NDJSON so */* means CSV", "application/x-ndjson;q=0, */*;q=0.1", mediaCSV},
		{"text/* means CSV", "text/*", mediaCSV},
		{"a browser's Accept gets NDJSON", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", mediaNDJSON},
		{"media types are case-insensitive", "Text/CSV", mediaCSV},
		{"an Accept that allows neither falls back to NDJSON", "application/json", mediaNDJSON},
		{"spaces around parameters are allowed", "text/csv ; q=0.7 , application/x-ndjson ; q=0.6", mediaCSV},
		{"a malformed Accept falls back to NDJSON", "text/csv/x;;;=", mediaNDJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := negotiateExport(tt.accept); got != tt.want {
				t.Errorf("negotiateExport(%q): got %s, want %s", tt.accept, got, tt.want)
			}
		})
	}
}
