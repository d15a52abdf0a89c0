package main

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/sandbox/fault"
)

func TestRefusedConnectionIsUpstreamUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	up := startUpstreams(t)
	up.pwURL = closed
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)

	resp, body := g.get(t, "/v1/companies", token(t, "acme", auth.ScopeCampaignsRead))
	problem(t, resp, body, 503, "upstream-unavailable")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

func TestUpstream429PausesTheAccountForItsRetryAfter(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	calls := token(t, "acme", auth.ScopeCallsRead)

	up.pw.InjectFault(fault.Fault{Status: 429, RetryAfter: 9 * time.Second, Times: 1})
	resp, body := g.get(t, "/v1/calls?limit=1", calls)
	problem(t, resp, body, 503, "upstream-rate-limited")
	if got := resp.Header.Get("Retry-After"); got != "9" {
		t.Errorf("Retry-After: got %q, want 9", got)
	}
	before := up.pw.RequestCount()
	resp, body = g.get(t, "/v1/calls?limit=2", calls)
	problem(t, resp, body, 503, "upstream-budget-exhausted")
	if ra := resp.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After: got %q, want the rest of the pause", ra)
	}
	if got := up.pw.RequestCount() - before; got != 0 {
		t.Errorf("upstream requests during the pause: got %d, want 0", got)
	}
}

// TestBreakerOpensThenProbesAndCloses: after five consecutive upstream
// failures the account's breaker answers 503 with Retry-After without
// touching the upstream; once the interval has passed a single probe goes
// through, and its success closes the breaker.
func TestBreakerOpensThenProbesAndCloses(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	tok := token(t, "acme", auth.ScopeCallsRead)

	up.pw.InjectFault(fault.Fault{Status: 500})
	for i := range 5 {
		resp, body := g.get(t, fmt.Sprintf("/v1/calls?limit=%d", i+1), tok)
		problem(t, resp, body, 502, "upstream-error")
	}
	before := up.pw.RequestCount()
	resp, body := g.get(t, "/v1/calls?limit=9", tok)
	problem(t, resp, body, 503, "upstream-unavailable")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("an open breaker's 503 has no Retry-After")
	}
	if got := up.pw.RequestCount() - before; got != 0 {
		t.Fatalf("upstream requests while open: got %d, want 0", got)
	}
	_, metrics := g.get(t, "/metrics", "")
	if !strings.Contains(string(metrics), `switchboard_upstream_breaker_state{breaker="phonewagon:acme-client"} 1`) {
		t.Error("metrics do not show the open breaker")
	}

	up.pw.ClearFault()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, body = g.get(t, "/v1/calls?limit=9", tok)
		if resp.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("breaker never closed: %d %s", resp.StatusCode, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	_, metrics = g.get(t, "/metrics", "")
	if !strings.Contains(string(metrics), `switchboard_upstream_breaker_state{breaker="phonewagon:acme-client"} 0`) {
		t.Error("metrics do not show the closed breaker")
	}
}
