package main

import (
	"net"
	"strings"
	"testing"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/sandbox/fault"
)

func TestUpstreamFailuresMapToTheirProblems(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	env["SWITCHBOARD_UPSTREAM_TIMEOUT"] = "1s"
	g := startGateway(t, env)
	calls := token(t, "acme", auth.ScopeCallsRead)
	lookups := token(t, "acme", auth.ScopeLookupsRead)

	tests := []struct {
		name       string
		inject     func()
		path, tok  string
		status     int
		slug       string
		retryAfter string
	}{
		{"a Phonewagon 500 is a 502 upstream-error",
			func() { up.pw.InjectFault(fault.Fault{Status: 500}) }, "/v1/calls?limit=1", calls, 502, "upstream-error", ""},
		{"a Phonewagon 503 is a 503 upstream-unavailable with its Retry-After",
			func() { up.pw.InjectFault(fault.Fault{Status: 503, RetryAfter: 7 * time.Second}) }, "/v1/calls?limit=1", calls, 503, "upstream-unavailable", "7"},
		{"malformed JSON is a 502 upstream-error",
			func() { up.pw.InjectFault(fault.Fault{Kind: fault.KindMalformedJSON}) }, "/v1/calls?limit=1", calls, 502, "upstream-error", ""},
		{"an unexpected shape is a 502 upstream-error",
			func() { up.pw.InjectFault(fault.Fault{Kind: fault.KindUnexpectedShape}) }, "/v1/companies", token(t, "acme", auth.ScopeCampaignsRead), 502, "upstream-error", ""},
		{"a truncated body is a 502 upstream-error",
			func() { up.pw.InjectFault(fault.Fault{Kind: fault.KindTruncated}) }, "/v1/calls?limit=1", calls, 502, "upstream-error", ""},
		{"a reset connection is a 502 upstream-error",
			func() { up.pw.InjectFault(fault.Fault{Kind: fault.KindReset}) }, "/v1/calls?limit=1", calls, 502, "upstream-error", ""},
		{"a hung upstream is a 504 upstream-timeout",
			func() { up.pw.InjectFault(fault.Fault{Kind: fault.KindHang}) }, "/v1/calls?limit=1", calls, 504, "upstream-timeout", ""},
		{"CallWidget credentials rejected after a re-login are a 502 upstream-auth-failed",
			func() { up.cw.InjectFault(fault.Fault{Status: 401, PathPrefix: "/share/"}) }, "/v1/tags", lookups, 502, "upstream-auth-failed", ""},
		{"a CallWidget 503 is a 503 upstream-unavailable",
			func() { up.cw.InjectFault(fault.Fault{Status: 503, RetryAfter: 3 * time.Second}) }, "/v1/tags", lookups, 503, "upstream-unavailable", "3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.inject()
			defer up.pw.ClearFault()
			defer up.cw.ClearFault()
			resp, body := g.get(t, tt.path, tt.tok)
			p := problem(t, resp, body, tt.status, tt.slug)
			if tt.retryAfter != "" && resp.Header.Get("Retry-After") != tt.retryAfter {
				t.Errorf("Retry-After: got %q, want %q", resp.Header.Get("Retry-After"), tt.retryAfter)
			}
			if (tt.status == 503 || tt.status == 429) && resp.Header.Get("Retry-After") == "" {
				t.Error("a 503 without Retry-After")
			}
			for _, leak := range []string{"127.0.0.1", "acme-pw-secret", "acme-cw-password"} {
				if strings.Contains(string(body), leak) {
					t.Errorf("problem leaks %q: %v", leak, p)
				}
			}
		})
	}
	t.Run("the gateway recovers once the fault clears", func(t *testing.T) {
		if resp, body := g.get(t, "/v1/calls?limit=1", calls); resp.StatusCode != 200 {
			t.Fatalf("status: got %d, want 200; body %s", resp.StatusCode, body)
		}
	})
}

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
