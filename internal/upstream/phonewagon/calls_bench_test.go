package phonewagon

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"switchboard/internal/sandbox/phonewagonsim"
)

// BenchmarkDecodeCalls measures decoding and normalizing one 100-record
// page of /calls exactly as the simulator serves it (next link included):
// the CPU a cache miss spends on the upstream's answer. "reference" is the
// previous decoder (encoding/json with an UnmarshalJSON per field, kept as
// the tests' oracle), for comparison in the same run.
func BenchmarkDecodeCalls(b *testing.B) {
	body, c := simulatorPage(b)
	b.Run("stream", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			calls, more, err := c.decodeCalls(body)
			if err != nil || len(calls) != 100 || !more {
				b.Fatalf("got %d calls, more %v, %v; want 100 and a next page", len(calls), more, err)
			}
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			calls, next, err := referenceCalls(body)
			if err != nil || len(calls) != 100 || next == "" {
				b.Fatalf("got %d calls, next %q, %v; want 100 and a next page", len(calls), next, err)
			}
		}
	})
}

// simulatorPage fetches a 100-record page from the simulator and returns it
// with a client of the simulator.
func simulatorPage(b *testing.B) ([]byte, *Client) {
	b.Helper()
	sim, err := phonewagonsim.New(phonewagonsim.Config{
		Accounts: []phonewagonsim.Account{{ClientID: testClientID, ClientSecret: testSecret, Seed: 1}},
		Anchor:   time.Now().Add(-time.Hour),
	})
	if err != nil {
		b.Fatalf("phonewagonsim: %v", err)
	}
	srv := httptest.NewServer(sim)
	b.Cleanup(srv.Close)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/calls?page_size=100", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.SetBasicAuth(testClientID, testSecret.Reveal())
	resp, err := srv.Client().Do(req)
	if err != nil {
		b.Fatalf("fetching a page: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("fetching a page: got status %d, %v; want 200", resp.StatusCode, err)
	}
	c, err := New(Config{BaseURL: srv.URL, ClientID: testClientID, ClientSecret: testSecret})
	if err != nil {
		b.Fatalf("New: %v", err)
	}
	return body, c
}
