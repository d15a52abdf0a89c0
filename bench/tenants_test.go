package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"switchboard/internal/config"
)

func TestWriteTenantsIsAValidTenantsFile(t *testing.T) {
	tests := []struct {
		name       string
		spec       tenantSpec
		wantMirror bool
		wantHooks  int
		wantSync   time.Duration
	}{
		{"a plain account keeps no mirror", tenantSpec{ID: "t0", PhonewagonURL: "http://127.0.0.1:1", ClientID: accountID(0), Budget: 50}, false, 0, 0},
		{"a mirrored account takes every default", tenantSpec{ID: "m0", PhonewagonURL: "http://127.0.0.1:1", ClientID: accountID(1), Budget: 50, Mirror: "{}"},
			true, 0, config.DefaultMirrorSyncInterval},
		{"a mirrored account with a webhook and a 5 s sync", tenantSpec{ID: "ev", PhonewagonURL: "http://127.0.0.1:1", ClientID: "bench-live", Budget: 50,
			Mirror: "{sync_interval: 5s}", WebhookURL: "http://127.0.0.1:2/hook", WebhookSecret: "whsec_" + randomKey(32).Reveal()}, true, 1, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseWrittenTenants(t, []tenantSpec{tt.spec})
			pw := got[0].Phonewagon
			if (pw.Mirror != nil) != tt.wantMirror {
				t.Fatalf("got mirror %v, want mirror %v", pw.Mirror, tt.wantMirror)
			}
			if tt.wantMirror && pw.Mirror.SyncInterval != tt.wantSync {
				t.Errorf("got sync_interval %v, want %v", pw.Mirror.SyncInterval, tt.wantSync)
			}
			if len(got[0].Webhooks) != tt.wantHooks {
				t.Errorf("got %d webhooks, want %d", len(got[0].Webhooks), tt.wantHooks)
			}
		})
	}
}

// parseWrittenTenants writes specs as the bench does and parses the file
// as the gateway does, failing t unless it is valid.
func parseWrittenTenants(t *testing.T, specs []tenantSpec) []config.Tenant {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := writeTenants(path, specs); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := config.ParseTenants(data, func(string) string { return "" })
	if err != nil {
		t.Fatalf("got %v, want a valid tenants file:\n%s", err, data)
	}
	return got
}
