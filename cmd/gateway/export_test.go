package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/sandbox/phonewagonsim"
)

func TestExportStreamsEveryCallAsNDJSONAndCSV(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	tok := token(t, "acme", auth.ScopeCallsRead)
	data, _ := up.pw.Dataset("acme-client")

	t.Run("NDJSON is the default, one call per line", func(t *testing.T) {
		resp, body := g.get(t, "/v1/calls/export", tok)
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-ndjson") {
			t.Fatalf("Content-Type: got %q, want application/x-ndjson", ct)
		}
		lines := strings.Split(strings.TrimSpace(string(body)), "\n")
		if len(lines) != len(data.Calls) {
			t.Fatalf("lines: got %d, want %d", len(lines), len(data.Calls))
		}
		var first struct{ ID, Source string }
		if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first.ID != itoa(data.Calls[0].ID) {
			t.Fatalf("first line: got %s (err %v), want call %v", lines[0], err, data.Calls[0].ID)
		}
	})
	t.Run("CSV has a header and one row per call", func(t *testing.T) {
		resp, body := g.get(t, "/v1/calls/export", tok, "Accept", "text/csv")
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Fatalf("Content-Type: got %q, want text/csv", ct)
		}
		rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(data.Calls)+1 || rows[0][0] != "id" {
			t.Fatalf("rows: got %d (header %v), want %d plus a header", len(rows), rows[0], len(data.Calls))
		}
	})
}

func TestExportStopsPagingUpstreamWhenTheClientGoesAway(t *testing.T) {
	pw, err := phonewagonsim.New(phonewagonsim.Config{
		Accounts: []phonewagonsim.Account{{ClientID: "acme-client", ClientSecret: "acme-pw-secret", Seed: 1, Calls: 10000}},
		Latency:  150 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pw)
	defer srv.Close()
	up := startUpstreams(t)
	up.pwURL = srv.URL
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)

	req, _ := http.NewRequest("GET", g.URL+"/v1/calls/export", nil)
	req.Header.Set("Authorization", "Bearer "+token(t, "acme", auth.ScopeCallsRead))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
		t.Fatalf("first line: %v", err)
	}
	resp.Body.Close() // go away after the first page

	// 10 pages exist; a gateway that keeps paging fetches them all within
	// ~1.5 s. Wait that long, then count.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) && pw.RequestCount() < 10 {
		time.Sleep(50 * time.Millisecond)
	}
	if got := pw.RequestCount(); got > 3 {
		t.Fatalf("upstream pages fetched: got %d, want at most 3 of 10 after the client left", got)
	}
}
