package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/auth"
)

// reloadTimeout bounds the wait for a reload's log line.
const reloadTimeout = 10 * time.Second

// reload signals g to reload and waits for the n-th reload log line (applied
// or rejected), which it returns.
func (g *gateway) reload(t *testing.T, n int) map[string]any {
	t.Helper()
	g.Reloads <- syscall.SIGHUP
	var line map[string]any
	g.Logs.waitFor(t, reloadTimeout, "reload log line", func(logs string) bool {
		seen := 0
		for _, l := range strings.Split(logs, "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(l), &rec) != nil {
				continue
			}
			if msg, _ := rec["msg"].(string); strings.HasPrefix(msg, "tenants file ") {
				if seen++; seen == n {
					line = rec
					return true
				}
			}
		}
		return false
	})
	return line
}

// status sends GET path with bearer and returns the status.
func (g *gateway) status(t *testing.T, path, bearer string) int {
	t.Helper()
	resp, _ := g.get(t, path, bearer)
	return resp.StatusCode
}

// TestReloadSwapsTenantsAndKeepsTheirState: a reload serves an added tenant,
// refuses a removed one like an unknown one (403), keeps an unchanged
// tenant's inbound count (no fresh minute), ignores an invalid file with a
// log line naming the field, and counts each outcome.
func TestReloadSwapsTenantsAndKeepsTheirState(t *testing.T) {
	up := startUpstreams(t)
	file := writeTenants(t, "", "tenants:\n"+
		up.tenantYAML("acme", "acme", "rate_limit_per_minute: 2")+
		up.tenantYAML("beta", "beta", ""))
	g := startGateway(t, map[string]string{"SWITCHBOARD_TENANTS_FILE": file})
	acme := token(t, "acme", auth.KnownScopes()...)
	beta := token(t, "beta", auth.KnownScopes()...)
	gamma := token(t, "gamma", auth.KnownScopes()...)

	for i := range 2 { // acme's two requests of the minute
		if got := g.status(t, "/v1/tags", acme); got != http.StatusOK {
			t.Fatalf("acme request %d before the reload: got %d, want 200", i+1, got)
		}
	}
	if got := g.status(t, "/v1/tags", gamma); got != http.StatusForbidden {
		t.Fatalf("gamma before the reload: got %d, want 403", got)
	}

	writeTenants(t, file, "tenants:\n"+
		up.tenantYAML("acme", "acme", "rate_limit_per_minute: 2")+
		up.tenantYAML("gamma", "beta", ""))
	line := g.reload(t, 1)

	t.Run("the log line names what changed", func(t *testing.T) {
		if line["msg"] != "tenants file reloaded" {
			t.Fatalf("log line: got %v, want tenants file reloaded", line)
		}
		if got, _ := json.Marshal([]any{line["added"], line["removed"]}); string(got) != `[["gamma"],["beta"]]` {
			t.Fatalf("added, removed: got %s, want [gamma] [beta]", got)
		}
	})
	t.Run("an added tenant is served", func(t *testing.T) {
		if got := g.status(t, "/v1/tags", gamma); got != http.StatusOK {
			t.Fatalf("got %d, want 200", got)
		}
	})
	t.Run("a removed tenant is refused like an unknown one", func(t *testing.T) {
		resp, body := g.get(t, "/v1/tags", beta)
		problem(t, resp, body, http.StatusForbidden, "forbidden")
	})
	t.Run("an unchanged tenant keeps its inbound count", func(t *testing.T) {
		if got := g.status(t, "/v1/tags", acme); got != http.StatusTooManyRequests {
			t.Fatalf("acme's third request of the minute: got %d, want 429", got)
		}
	})
	t.Run("the applied reload is counted", func(t *testing.T) {
		s := series("switchboard_config_reloads_total", "outcome", "applied")
		if got := g.scrape(t)[s]; got != 1 {
			t.Fatalf("%s: got %v, want 1", s, got)
		}
	})

	writeTenants(t, file, "tenants:\n"+
		up.tenantYAML("acme", "acme", "")+
		"  - id: delta\n    phonewagon: {base_url: "+up.pwURL+", client_id: beta-client, client_secret: s, budget_per_minute: 0}\n")
	line = g.reload(t, 2)

	t.Run("an invalid file is logged by field", func(t *testing.T) {
		if line["msg"] != "tenants file not reloaded: the configuration in force stays" || line["level"] != "ERROR" {
			t.Fatalf("log line: got %v, want the rejection at ERROR", line)
		}
		if msg, _ := line["error"].(string); !strings.Contains(msg, "tenants[1].phonewagon.budget_per_minute") {
			t.Fatalf("error: got %q, want it to name tenants[1].phonewagon.budget_per_minute", msg)
		}
	})
	t.Run("an invalid file leaves the configuration in force", func(t *testing.T) {
		if got := g.status(t, "/v1/tags", gamma); got != http.StatusOK {
			t.Fatalf("gamma: got %d, want 200", got)
		}
		if got := g.status(t, "/v1/tags", token(t, "delta", auth.KnownScopes()...)); got != http.StatusForbidden {
			t.Fatalf("delta: got %d, want 403", got)
		}
	})
	t.Run("the rejected reload is counted", func(t *testing.T) {
		got := g.scrape(t)
		for outcome, want := range map[string]float64{"applied": 1, "rejected": 1} {
			s := series("switchboard_config_reloads_total", "outcome", outcome)
			if got[s] != want {
				t.Errorf("%s: got %v, want %v", s, got[s], want)
			}
		}
	})
}

// TestReloadInSandboxModeKeepsTheDemoTenant: the sandbox's demo tenant is
// not in the file; a reload re-applies it.
func TestReloadInSandboxModeKeepsTheDemoTenant(t *testing.T) {
	up := startUpstreams(t)
	file := writeTenants(t, "", "tenants:\n"+up.tenantYAML("acme", "acme", ""))
	g := startGateway(t, map[string]string{"SWITCHBOARD_TENANTS_FILE": file, "SWITCHBOARD_SANDBOX": "true"})
	writeTenants(t, file, "tenants:\n"+up.tenantYAML("gamma", "beta", ""))
	if line := g.reload(t, 1); line["msg"] != "tenants file reloaded" {
		t.Fatalf("log line: got %v, want tenants file reloaded", line)
	}
	for _, tt := range []struct {
		tenant string
		want   int
	}{{"demo", 200}, {"gamma", 200}, {"acme", 403}} {
		t.Run(tt.tenant, func(t *testing.T) {
			if got := g.status(t, "/v1/tags", token(t, tt.tenant, auth.KnownScopes()...)); got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
		})
	}
}
