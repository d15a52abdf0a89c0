package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"switchboard/internal/auth"
)

// scrape reads the gateway's /metrics as series → value, each series written
// as name{label="value",...} with its labels sorted by name.
func (g *gateway) scrape(t *testing.T) map[string]float64 {
	t.Helper()
	resp, body := g.get(t, "/metrics", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: got status %d, want 200", resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		name, labels, _ := strings.Cut(line[:i], "{")
		parts := strings.Split(strings.TrimSuffix(labels, "}"), ",")
		slices.Sort(parts)
		out[name+"{"+strings.Join(parts, ",")+"}"] = v
	}
	return out
}

// series spells a series the way scrape keys it; labels are name, value pairs.
func series(name string, labels ...string) string {
	parts := make([]string, 0, len(labels)/2)
	for i := 0; i+1 < len(labels); i += 2 {
		parts = append(parts, fmt.Sprintf("%s=%q", labels[i], labels[i+1]))
	}
	slices.Sort(parts)
	return name + "{" + strings.Join(parts, ",") + "}"
}

// writeTenants writes doc as a tenants file (in dir, or a new temporary one
// when dir is empty) and returns its path.
func writeTenants(t *testing.T, path, doc string) string {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "tenants.yaml")
	}
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// tenantYAML is one tenants-file entry on the simulators: id with the
// CallWidget login and Phonewagon client of account ("acme" or "beta"),
// plus extra settings (YAML, indented by four spaces).
func (u *upstreams) tenantYAML(id, account, extra string) string {
	s := fmt.Sprintf(`  - id: %[1]s
    callwidget: {base_url: %[2]s, email: ops@%[4]s.example, password: "%[4]s-cw-password"}
    phonewagon: {base_url: %[3]s, client_id: %[4]s-client, client_secret: "%[4]s-pw-secret"}
`, id, u.cwURL, u.pwURL, account)
	if extra != "" {
		s += "    " + extra + "\n"
	}
	return s
}

// TestMetricsSeriesExistBeforeAnyRequest: increase() over a series misses
// its first event unless the series was scraped at zero before; the gauges
// are there before any request could have set them.
func TestMetricsSeriesExistBeforeAnyRequest(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	got := g.scrape(t)

	tests := []struct {
		name   string
		series string
		want   float64
	}{
		{"successful GETs of a route per tenant", series("switchboard_http_requests_total", "method", "GET", "route", "/v1/calls", "status", "200", "tenant", "acme"), 0},
		{"successful POSTs of a route per tenant", series("switchboard_http_requests_total", "method", "POST", "route", "/v1/messages", "status", "200", "tenant", "beta"), 0},
		{"cache hits per cached route", series("switchboard_cache_results_total", "result", "hit", "route", "/v1/tags"), 0},
		{"stale answers per cached route", series("switchboard_cache_results_total", "result", "stale", "route", "/v1/calls"), 0},
		{"the budget left per account, by client id", series("switchboard_phonewagon_budget_remaining", "account", "acme-client"), 50},
		{"the budget limit per account, by client id", series("switchboard_phonewagon_budget_limit", "account", "beta-client"), 50},
		{"the Phonewagon breaker per account", series("switchboard_upstream_breaker_state", "breaker", "phonewagon:acme-client"), 0},
		{"the CallWidget breaker per login", series("switchboard_upstream_breaker_state", "breaker", "callwidget:ops@beta.example"), 0},
		{"reloads applied", series("switchboard_config_reloads_total", "outcome", "applied"), 0},
		{"reloads rejected", series("switchboard_config_reloads_total", "outcome", "rejected"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := got[tt.series]
			if !ok {
				t.Fatalf("got no series %s, want it at %v", tt.series, tt.want)
			}
			if v != tt.want {
				t.Fatalf("%s: got %v, want %v", tt.series, v, tt.want)
			}
		})
	}
	for s := range got {
		if strings.Contains(s, "http://") || strings.Contains(s, "https://") {
			t.Errorf("series %s carries a URL in a label", s)
		}
	}
}

// TestRefusedRequestsCarryTheRouteTheyWereAimedAt: a request refused by a
// middleware before routing finished is counted under its route template,
// with its method, not under "/v1/*"; a path no route knows stays
// "unmatched".
func TestRefusedRequestsCarryTheRouteTheyWereAimedAt(t *testing.T) {
	up := startUpstreams(t)
	file := writeTenants(t, "", "tenants:\n"+up.tenantYAML("acme", "acme", "")+up.tenantYAML("tight", "beta", "rate_limit_per_minute: 1"))
	g := startGateway(t, map[string]string{"SWITCHBOARD_TENANTS_FILE": file})
	tok := token(t, "acme", auth.KnownScopes()...)
	tight := token(t, "tight", auth.KnownScopes()...)
	g.get(t, "/v1/budget", tight) // the one request of tight's minute

	tests := []struct {
		name           string
		method, path   string
		bearer         string
		wantStatus     int
		wantRoute      string
		wantTenantName string
	}{
		{"a request without a token", http.MethodGet, "/v1/calls", "", 401, "/v1/calls", ""},
		{"a POST without a token", http.MethodPost, "/v1/messages", "", 401, "/v1/messages", ""},
		{"a route with a path parameter", http.MethodPost, "/v1/automations/42/enrollments", "", 401, "/v1/automations/{id}/enrollments", ""},
		{"a token for a tenant not in the file", http.MethodGet, "/v1/calls", token(t, "nobody", auth.KnownScopes()...), 403, "/v1/calls", ""},
		{"a token without the route's scope", http.MethodGet, "/v1/companies", token(t, "acme", auth.ScopeCallsRead), 403, "/v1/companies", "acme"},
		{"a tenant over its inbound limit", http.MethodGet, "/v1/tags", tight, 429, "/v1/tags", "tight"},
		{"a method the route does not serve", http.MethodDelete, "/v1/tags", tok, 405, "/v1/tags", "acme"},
		{"an unknown /v1 path", http.MethodGet, "/v1/nowhere", tok, 404, "unmatched", "acme"},
		{"an unknown /v1 path without a token", http.MethodGet, "/v1/+17866275049", "", 401, "unmatched", ""},
		{"an unknown path outside /v1", http.MethodGet, "/wp-login.php", "", 404, "unmatched", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, g.URL+tt.path, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			if tt.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+tt.bearer)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status: got %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			s := series("switchboard_http_requests_total", "method", tt.method, "route", tt.wantRoute,
				"status", strconv.Itoa(tt.wantStatus), "tenant", tt.wantTenantName)
			if got := g.scrape(t)[s]; got != 1 {
				t.Fatalf("%s: got %v, want 1", s, got)
			}
		})
	}
	t.Run("nothing is counted under the mount point", func(t *testing.T) {
		for s := range g.scrape(t) {
			if strings.Contains(s, `route="/v1/*"`) {
				t.Errorf("series %s names the mount point, not a route", s)
			}
		}
	})
	t.Run("cache results carry the route", func(t *testing.T) {
		g.get(t, "/v1/tags", tok)
		g.get(t, "/v1/tags", tok)
		got := g.scrape(t)
		for _, res := range []string{"miss", "hit"} {
			s := series("switchboard_cache_results_total", "result", res, "route", "/v1/tags")
			if got[s] != 1 {
				t.Errorf("%s: got %v, want 1", s, got[s])
			}
		}
	})
}

// TestBudgetGaugeIsReadWhenScraped: two replicas share one Redis budget; the
// budget one of them spends shows on the other's /metrics, which made no
// upstream request and answered no /v1/budget.
func TestBudgetGaugeIsReadWhenScraped(t *testing.T) {
	url, prefix := testRedis(t)
	up := startUpstreams(t)
	env := replicaEnv(t, up, url, prefix)
	a, b := startGateway(t, env), startGateway(t, env)
	remaining := series("switchboard_phonewagon_budget_remaining", "account", "acme-client")
	if got := b.scrape(t)[remaining]; got != 50 {
		t.Fatalf("before: %s: got %v, want 50", remaining, got)
	}
	tok := token(t, "acme", auth.KnownScopes()...)
	for _, path := range []string{"/v1/companies", "/v1/calls"} {
		if resp, body := a.get(t, path, tok); resp.StatusCode != 200 {
			t.Fatalf("GET %s: got %d, want 200; %s", path, resp.StatusCode, body)
		}
	}
	got := b.scrape(t)
	if got[remaining] != 48 {
		t.Fatalf("after two upstream requests on the other replica: %s: got %v, want 48", remaining, got[remaining])
	}
	if other := series("switchboard_phonewagon_budget_remaining", "account", "beta-client"); got[other] != 50 {
		t.Fatalf("%s: got %v, want 50 (another account)", other, got[other])
	}
}
