package main

import (
	"strings"
	"sync"
	"testing"

	"switchboard/internal/auth"
	"switchboard/internal/sandbox/fault"
)

func countPaths(up *upstreams, prefix string) int {
	n := 0
	for _, r := range up.pw.Requests() {
		if strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

func TestResponseCache(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	tok := token(t, "acme", auth.ScopeCampaignsRead, auth.ScopeCallsRead)

	r1, b1 := g.get(t, "/v1/companies", tok)
	r2, b2 := g.get(t, "/v1/companies", tok)
	t.Run("a first GET misses and a second hits without an upstream call", func(t *testing.T) {
		if r1.Header.Get("X-Cache") != "MISS" || r2.Header.Get("X-Cache") != "HIT" {
			t.Fatalf("X-Cache: got %q then %q, want MISS then HIT", r1.Header.Get("X-Cache"), r2.Header.Get("X-Cache"))
		}
		if string(b1) != string(b2) || r1.Header.Get("ETag") == "" || r1.Header.Get("ETag") != r2.Header.Get("ETag") {
			t.Fatalf("bodies or ETags differ: %q %q", r1.Header.Get("ETag"), r2.Header.Get("ETag"))
		}
		if n := countPaths(up, "/companies"); n != 1 {
			t.Fatalf("upstream requests: got %d, want 1", n)
		}
		if r2.Header.Get("Age") == "" {
			t.Error("a hit has no Age header")
		}
	})
	t.Run("If-None-Match with the ETag is a 304", func(t *testing.T) {
		resp, body := g.get(t, "/v1/companies", tok, "If-None-Match", r1.Header.Get("ETag"))
		if resp.StatusCode != 304 || len(body) != 0 {
			t.Fatalf("got %d with %d bytes, want an empty 304", resp.StatusCode, len(body))
		}
	})
	t.Run("Cache-Control no-cache revalidates with the upstream", func(t *testing.T) {
		resp, _ := g.get(t, "/v1/companies", tok, "Cache-Control", "no-cache")
		if resp.Header.Get("X-Cache") != "BYPASS" || countPaths(up, "/companies") != 2 {
			t.Fatalf("X-Cache %q, upstream requests %d; want BYPASS and 2", resp.Header.Get("X-Cache"), countPaths(up, "/companies"))
		}
	})
	t.Run("a failing upstream serves the stale copy with Age", func(t *testing.T) {
		up.pw.InjectFault(fault.Fault{Status: 500})
		defer up.pw.ClearFault()
		resp, body := g.get(t, "/v1/companies", tok, "Cache-Control", "no-cache")
		if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "STALE" || resp.Header.Get("Age") == "" {
			t.Fatalf("got %d X-Cache %q Age %q, want 200 STALE with Age", resp.StatusCode, resp.Header.Get("X-Cache"), resp.Header.Get("Age"))
		}
		if string(body) != string(b1) {
			t.Fatal("stale body differs from the cached one")
		}
	})
	t.Run("another tenant never gets this tenant's entry", func(t *testing.T) {
		resp, body := g.get(t, "/v1/companies", token(t, "beta", auth.ScopeCampaignsRead))
		if resp.Header.Get("X-Cache") != "MISS" || string(body) == string(b1) {
			t.Fatalf("beta got X-Cache %q and acme's body: %v", resp.Header.Get("X-Cache"), string(body) == string(b1))
		}
	})
	t.Run("concurrent identical misses make one upstream request", func(t *testing.T) {
		before := countPaths(up, "/calls")
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if resp, body := g.get(t, "/v1/calls?limit=7", tok); resp.StatusCode != 200 {
					t.Errorf("status %d: %s", resp.StatusCode, body)
				}
			})
		}
		wg.Wait()
		if n := countPaths(up, "/calls") - before; n != 1 {
			t.Fatalf("upstream requests: got %d, want 1", n)
		}
	})
}

func TestCampaignsOfAllCompaniesReuseTheCachedCompanies(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	tok := token(t, "acme", auth.ScopeCampaignsRead)

	t.Run("a cached company list is not fetched again for the campaigns of all companies", func(t *testing.T) {
		if resp, body := g.get(t, "/v1/companies", tok); resp.StatusCode != 200 {
			t.Fatalf("companies: status %d: %s", resp.StatusCode, body)
		}
		if resp, body := g.get(t, "/v1/campaigns", tok); resp.StatusCode != 200 {
			t.Fatalf("campaigns: status %d: %s", resp.StatusCode, body)
		}
		if n := countPaths(up, "/companies"); n != 1 {
			t.Fatalf("upstream /companies requests: got %d, want 1", n)
		}
	})
	t.Run("the companies fetched for the campaigns serve GET /v1/companies as a hit", func(t *testing.T) {
		tok := token(t, "beta", auth.ScopeCampaignsRead)
		before := countPaths(up, "/companies")
		if resp, body := g.get(t, "/v1/campaigns", tok); resp.StatusCode != 200 {
			t.Fatalf("campaigns: status %d: %s", resp.StatusCode, body)
		}
		resp, _ := g.get(t, "/v1/companies", tok)
		if got := resp.Header.Get("X-Cache"); got != "HIT" {
			t.Errorf("X-Cache: got %q, want HIT", got)
		}
		if n := countPaths(up, "/companies") - before; n != 1 {
			t.Fatalf("upstream /companies requests: got %d, want 1", n)
		}
	})
}
