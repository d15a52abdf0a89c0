package phonewagonsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"switchboard/internal/sandbox/fault"
	"switchboard/internal/sandbox/phonewagonsim"
)

func TestInjectedFaultsAreObservableFromAClient(t *testing.T) {
	tests := []struct {
		name  string
		fault fault.Fault
		check func(t *testing.T, resp response, err error)
	}{
		{"a 503 fault answers 503 with Retry-After", fault.Fault{Status: 503, RetryAfter: 7 * time.Second},
			func(t *testing.T, resp response, err error) {
				if err != nil || resp.status != 503 || resp.header.Get("Retry-After") != "7" {
					t.Fatalf("got %d Retry-After %q err %v, want 503 with 7", resp.status, resp.header.Get("Retry-After"), err)
				}
			}},
		{"a 429 fault answers 429 even within the budget", fault.Fault{Status: 429, RetryAfter: time.Second},
			func(t *testing.T, resp response, err error) {
				if err != nil || resp.status != 429 || resp.header.Get("Retry-After") != "1" {
					t.Fatalf("got %d Retry-After %q err %v, want 429 with 1", resp.status, resp.header.Get("Retry-After"), err)
				}
			}},
		{"a reset fault fails the request", fault.Fault{Kind: fault.KindReset},
			func(t *testing.T, resp response, err error) {
				if err == nil {
					t.Fatalf("got %d, want a transport error", resp.status)
				}
			}},
		{"a malformed JSON fault answers a body that does not parse", fault.Fault{Kind: fault.KindMalformedJSON},
			func(t *testing.T, resp response, err error) {
				if err != nil || resp.status != 200 || json.Valid(resp.body) {
					t.Fatalf("got %d %q err %v, want 200 with invalid JSON", resp.status, resp.body, err)
				}
			}},
		{"a truncated fault ends the body early", fault.Fault{Kind: fault.KindTruncated},
			func(t *testing.T, _ response, err error) {
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("got err %v, want io.ErrUnexpectedEOF", err)
				}
			}},
		{"an unexpected shape fault answers valid JSON without calls", fault.Fault{Kind: fault.KindUnexpectedShape},
			func(t *testing.T, resp response, err error) {
				if err != nil || resp.status != 200 || string(resp.body) != `{"unexpected":true}` {
					t.Fatalf("got %d %q err %v, want 200 {\"unexpected\":true}", resp.status, resp.body, err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.sim.InjectFault(tt.fault)
			resp, err := f.get(t, "/calls", acmeID, acmeSecret)
			tt.check(t, resp, err)
			if got := f.sim.RequestCount(); got != 1 {
				t.Errorf("got %d requests recorded, want the faulted one", got)
			}
		})
	}
}

func TestHangFaultLastsUntilTheClientGivesUp(t *testing.T) {
	f := newFixture(t, nil)
	f.sim.InjectFault(fault.Fault{Kind: fault.KindHang})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := do(ctx, http.MethodGet, f.srv.URL+"/companies", acmeID, acmeSecret)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got err %v, want context.DeadlineExceeded", err)
	}
}

func TestFaultScopeAndClear(t *testing.T) {
	f := newFixture(t, nil)
	f.sim.InjectFault(fault.Fault{Status: 500, PathPrefix: "/calls", Times: 1})
	steps := []struct {
		path string
		want int
	}{
		{"/companies", http.StatusOK},
		{"/calls", http.StatusInternalServerError},
		{"/calls", http.StatusOK},
	}
	for _, s := range steps {
		if got := f.mustGet(t, s.path, acmeID, acmeSecret).status; got != s.want {
			t.Errorf("GET %s: got %d, want %d", s.path, got, s.want)
		}
	}
	f.sim.InjectFault(fault.Fault{Status: 502})
	f.sim.ClearFault()
	if got := f.mustGet(t, "/companies", acmeID, acmeSecret).status; got != http.StatusOK {
		t.Errorf("after ClearFault: got %d, want 200", got)
	}
}

func TestLatencyDelaysEveryResponse(t *testing.T) {
	const latency = 30 * time.Millisecond
	f := newFixture(t, func(c *phonewagonsim.Config) { c.Latency = latency })
	t.Run("a response takes at least the latency", func(t *testing.T) {
		start := time.Now()
		f.mustGet(t, "/companies", acmeID, acmeSecret)
		if got := time.Since(start); got < latency {
			t.Errorf("got a response after %s, want at least %s", got, latency)
		}
	})
	t.Run("a client that gives up first gets no response", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		if _, err := do(ctx, http.MethodGet, f.srv.URL+"/companies", acmeID, acmeSecret); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got err %v, want context.DeadlineExceeded", err)
		}
	})
}
