package main

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/sandbox/fault"
)

// TestFaultMatrix crosses both upstreams with every fault the simulators
// can inject and a cold or warm cache: a cold cache answers the problem of
// SPEC §4 (status, slug, Retry-After), a warm one serves the stale copy,
// never a 500, and the gateway recovers by itself once the fault clears.
func TestFaultMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a gateway per case")
	}
	faults := []struct {
		name       string
		f          fault.Fault
		status     int
		slug       string
		retryAfter string
	}{
		{"500", fault.Fault{Status: 500}, 502, "upstream-error", ""},
		{"503 with Retry-After", fault.Fault{Status: 503, RetryAfter: 3 * time.Second}, 503, "upstream-unavailable", "3"},
		{"429 with Retry-After", fault.Fault{Status: 429, RetryAfter: time.Second}, 503, "upstream-rate-limited", "1"},
		{"a hang past the timeout", fault.Fault{Kind: fault.KindHang}, 504, "upstream-timeout", ""},
		{"a reset connection", fault.Fault{Kind: fault.KindReset}, 502, "upstream-error", ""},
		{"malformed JSON", fault.Fault{Kind: fault.KindMalformedJSON}, 502, "upstream-error", ""},
		{"a truncated body", fault.Fault{Kind: fault.KindTruncated}, 502, "upstream-error", ""},
		{"a 401 revoking the token", fault.Fault{Status: 401}, 502, "upstream-auth-failed", ""},
		{"a 200 with an unexpected shape", fault.Fault{Kind: fault.KindUnexpectedShape}, 502, "upstream-error", ""},
	}
	type side struct {
		name, path, prefix string
		scope              auth.Scope
		inject             func(*upstreams, fault.Fault)
		clear              func(*upstreams)
	}
	sides := []side{
		{"CallWidget", "/v1/tags", "/share/", auth.ScopeLookupsRead,
			func(u *upstreams, f fault.Fault) { u.cw.InjectFault(f) }, func(u *upstreams) { u.cw.ClearFault() }},
		{"Phonewagon", "/v1/calls?limit=3", "", auth.ScopeCallsRead,
			func(u *upstreams, f fault.Fault) { u.pw.InjectFault(f) }, func(u *upstreams) { u.pw.ClearFault() }},
	}
	for _, sd := range sides {
		for _, ft := range faults {
			for _, warm := range []bool{false, true} {
				cache := "cold"
				if warm {
					cache = "warm"
				}
				t.Run(fmt.Sprintf("%s %s with a %s cache", sd.name, ft.name, cache), func(t *testing.T) {
					up := startUpstreams(t)
					file, env := up.tenantsFile(t)
					env["SWITCHBOARD_TENANTS_FILE"] = file
					env["SWITCHBOARD_UPSTREAM_TIMEOUT"] = "1s"
					g := startGateway(t, env)
					tok := token(t, "acme", sd.scope)
					if warm {
						if resp, body := g.get(t, sd.path, tok); resp.StatusCode != 200 {
							t.Fatalf("warming: %d %s", resp.StatusCode, body)
						}
					}
					f := ft.f
					f.PathPrefix = sd.prefix // CallWidget: the data calls; login keeps working
					sd.inject(up, f)
					resp, body := g.get(t, sd.path, tok, "Cache-Control", "no-cache")
					sd.clear(up)

					if warm {
						if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "STALE" || resp.Header.Get("Age") == "" {
							t.Fatalf("got %d X-Cache %q Age %q, want 200 STALE with Age; body %s",
								resp.StatusCode, resp.Header.Get("X-Cache"), resp.Header.Get("Age"), body)
						}
					} else {
						problem(t, resp, body, ft.status, ft.slug)
						if ft.retryAfter != "" && resp.Header.Get("Retry-After") != ft.retryAfter {
							t.Errorf("Retry-After: got %q, want %q", resp.Header.Get("Retry-After"), ft.retryAfter)
						}
						if ft.status == 503 && resp.Header.Get("Retry-After") == "" {
							t.Error("a 503 without Retry-After")
						}
					}

					deadline := time.Now().Add(10 * time.Second)
					for {
						resp, body = g.get(t, sd.path, tok, "Cache-Control", "no-cache")
						if resp.StatusCode == 200 && resp.Header.Get("X-Cache") == "BYPASS" {
							return
						}
						if time.Now().After(deadline) {
							t.Fatalf("no recovery after the fault cleared: %d %s", resp.StatusCode, body)
						}
						time.Sleep(100 * time.Millisecond)
					}
				})
			}
		}
	}
}

// TestOneBudgetSlotIsOneUpstreamRequestEvenOnResets: with warm connections
// to Phonewagon, a reset must not make the HTTP stack re-send the request
// behind the budget's back.
func TestOneBudgetSlotIsOneUpstreamRequestEvenOnResets(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	tok := token(t, "acme", auth.ScopeCallsRead)
	var wg sync.WaitGroup
	for i := range 6 { // warm several connections
		wg.Go(func() { g.get(t, fmt.Sprintf("/v1/calls?limit=%d", i+1), tok) })
	}
	wg.Wait()

	up.pw.InjectFault(fault.Fault{Kind: fault.KindReset})
	defer up.pw.ClearFault()
	for i := range 3 {
		before := up.pw.RequestCount()
		resp, body := g.get(t, fmt.Sprintf("/v1/calls?limit=%d", 50+i), tok)
		problem(t, resp, body, 502, "upstream-error")
		if got := up.pw.RequestCount() - before; got != 1 {
			t.Fatalf("upstream requests for one gateway call: got %d, want 1", got)
		}
	}
}
