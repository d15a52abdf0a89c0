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
// the CPU a cache miss spends on the upstream's answer.
func BenchmarkDecodeCalls(b *testing.B) {
	sim, err := phonewagonsim.New(phonewagonsim.Config{
		Accounts: []phonewagonsim.Account{{ClientID: testClientID, ClientSecret: testSecret, Seed: 1}},
		Anchor:   time.Now().Add(-time.Hour),
	})
	if err != nil {
		b.Fatalf("phonewagonsim: %v", err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
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
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		calls, more, err := c.decodeCalls(body)
		if err != nil || len(calls) != 100 || !more {
			b.Fatalf("got %d calls, more %v, %v; want 100 and a next page", len(calls), more, err)
		}
	}
}
