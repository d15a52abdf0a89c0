package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestReloadStartsStopsAndKeepsMirrorSyncers: a reload that gives an account
// a mirror starts its syncer; one that removes an account stops its syncer,
// which releases its lease, and its gauges go; an account whose settings
// did not change keeps its syncer (no lease released, none taken again).
func TestReloadStartsStopsAndKeepsMirrorSyncers(t *testing.T) {
	u := startMirrorUpstream(t, 0)
	fastSyncers(t, 20*time.Millisecond)
	env := u.env(t)
	g := startGateway(t, env)
	waitMirrored(t, g, "acme")
	waitMirrored(t, g, "beta")
	resp, body := g.get(t, "/v1/sync", token(t, "plain", "calls:read"))
	problem(t, resp, body, http.StatusForbidden, "mirror-not-configured")

	mirrorBlock := "mirror: {retention: 8760h, sync_interval: 1h, revisit: 1h, revisit_interval: 24h}"
	writeTenants(t, env["SWITCHBOARD_TENANTS_FILE"], fmt.Sprintf(`tenants:
  - id: acme
    phonewagon: {base_url: %[1]s, client_id: acme-client, client_secret: acme-pw-secret, budget_per_minute: 5000, %[2]s}
  - id: plain
    phonewagon: {base_url: %[1]s, client_id: plain-client, client_secret: plain-pw-secret, budget_per_minute: 5000, %[2]s}
`, u.url, mirrorBlock))
	line := g.reload(t, 1)
	if line["msg"] != "tenants file reloaded" {
		t.Fatalf("log line: got %v, want tenants file reloaded", line)
	}

	t.Run("an account given a mirror is synced", func(t *testing.T) {
		waitMirrored(t, g, "plain")
	})
	got := g.scrape(t)
	t.Run("an unchanged mirror keeps its syncer", func(t *testing.T) {
		for change, want := range map[string]float64{"acquired": 1, "released": 0} {
			s := series("switchboard_mirror_lease_changes_total", "account", "acme-client", "change", change)
			if got[s] != want {
				t.Errorf("%s: got %v, want %v", s, got[s], want)
			}
		}
	})
	t.Run("a removed account's syncer releases its lease and its gauges go", func(t *testing.T) {
		s := series("switchboard_mirror_lease_changes_total", "account", "beta-client", "change", "released")
		if got[s] != 1 {
			t.Errorf("%s: got %v, want 1", s, got[s])
		}
		gone := series("switchboard_mirror_calls", "account", "beta-client")
		if v, ok := got[gone]; ok {
			t.Errorf("%s: got %v, want no series", gone, v)
		}
	})
}
