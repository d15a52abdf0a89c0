package upstreamhttp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestTimedRecordsUpstreamRequestsOfTheContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	client := &http.Client{Transport: Timed(http.DefaultTransport)}
	get := func(ctx context.Context, path string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path+"?phone=+15550001111", nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	t.Run("requests under WithTimings are counted and described without their query", func(t *testing.T) {
		tm := &Timings{}
		ctx := WithTimings(context.Background(), tm)
		get(ctx, "/calls")
		get(ctx, "/missing")
		n, total, calls := tm.Snapshot()
		if n != 2 || total <= 0 || len(calls) != 2 {
			t.Fatalf("got %d requests, %v, %q; want 2 with a positive total", n, total, calls)
		}
		if !strings.HasPrefix(calls[0], "GET /calls 200 ") || !strings.HasPrefix(calls[1], "GET /missing 404 ") {
			t.Errorf("got %q, want GET /calls 200 then GET /missing 404", calls)
		}
		for _, c := range calls {
			if strings.Contains(c, "555") {
				t.Errorf("a description carries the query: %q", c)
			}
		}
	})
	t.Run("past the bound requests are counted but not described", func(t *testing.T) {
		tm := &Timings{}
		ctx := WithTimings(context.Background(), tm)
		for range maxTimedCalls + 3 {
			get(ctx, "/calls")
		}
		if n, _, calls := tm.Snapshot(); n != maxTimedCalls+3 || len(calls) != maxTimedCalls {
			t.Fatalf("got %d requests and %d descriptions, want %d and %d", n, len(calls), maxTimedCalls+3, maxTimedCalls)
		}
	})
	t.Run("a request without Timings passes through", func(t *testing.T) {
		get(context.Background(), "/calls")
	})
}
