package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"switchboard/internal/auth"
)

// metricName finds the metric names a dashboard or a rule file refers to.
// Only the gateway's own prefixes count: label values and PromQL functions
// never start with them.
var metricName = regexp.MustCompile(`\b(?:switchboard|go|process)_[a-zA-Z0-9_]+`)

// observabilityFiles are the dashboard and rule files whose metric names
// must all be exported.
var observabilityFiles = []string{
	"grafana/switchboard.json",
	"prometheus/alerts.yaml",
	"prometheus/alerts_test.yaml",
}

// TestDashboardAndRulesNameExportedMetrics scrapes a running gateway, on
// Redis, after traffic that touches every counter the dashboard and the
// alert rules use (a login and a refresh, cache misses and hits, upstream
// calls, a spent budget), and a second one with a live mirror, an event
// stream and a webhook (mirrorAndEventsMetricNames), and checks every
// metric name they mention is on /metrics of one of them.
func TestDashboardAndRulesNameExportedMetrics(t *testing.T) {
	url, prefix := testRedis(t)
	up := startUpstreams(t)
	up.budget = 1
	g := startGateway(t, replicaEnv(t, up, url, prefix))
	tok := token(t, "acme", auth.KnownScopes()...)

	g.get(t, "/v1/tags", tok)                                   // login, miss, upstream call
	g.get(t, "/v1/tags", tok)                                   // hit
	up.cw.RevokeAccessTokens("ops@acme.example")                // the next call gets a 401...
	g.get(t, "/v1/departments", tok)                            // ...and refreshes the token
	g.get(t, "/v1/companies", tok)                              // the one Phonewagon slot of the minute
	g.get(t, "/v1/campaigns", tok, "Cache-Control", "no-cache") // budget spent: a wait that ends exhausted
	g.get(t, "/v1/nowhere", tok)                                // a 404

	exported := exportedNames(t, g)
	for name := range mirrorAndEventsMetricNames(t) {
		exported[name] = true
	}

	for _, file := range observabilityFiles {
		data, err := os.ReadFile(filepath.Join(deployDir, file))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(file, ".json") && !json.Valid(data) {
			t.Errorf("%s is not valid JSON", file)
		}
		names := metricName.FindAllString(string(data), -1)
		if len(names) == 0 {
			t.Errorf("%s names no metric; the check would prove nothing", file)
		}
		slices.Sort(names)
		for _, n := range slices.Compact(names) {
			if !exported[n] {
				t.Errorf("%s uses %s, which the gateway does not export", file, n)
			}
		}
	}
}

// TestPrometheusRules runs promtool on the alert rules: a syntax and
// semantics check, then the rules' unit tests. Without promtool the test is
// skipped locally and fails in CI, which installs it (.ci/run).
func TestPrometheusRules(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if errors.Is(err, exec.ErrNotFound) {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is not installed; .ci/run installs Debian's prometheus package")
		}
		t.Skip("promtool is not installed (apt-get install prometheus); skipped outside CI")
	}
	dir := filepath.Join(deployDir, "prometheus")
	for _, args := range [][]string{{"check", "rules", "alerts.yaml"}, {"test", "rules", "alerts_test.yaml"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			cmd := exec.Command(promtool, args...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
}
