package main

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/config"
)

func TestEconomyWindows(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []economyWindow
	}{
		{"by default a minute cold, then a minute after a minute's warm-up", nil,
			[]economyWindow{{windowCold, 0, time.Minute}, {windowSteady, time.Minute, 2 * time.Minute}}},
		{"no warm-up leaves the cold window alone", []string{"-economy-warmup", "0"},
			[]economyWindow{{windowCold, 0, time.Minute}}},
		{"a steady window of its own length", []string{"-economy", "30s", "-economy-warmup", "90s", "-economy-steady", "5m"},
			[]economyWindow{{windowCold, 0, 30 * time.Second}, {windowSteady, 90 * time.Second, 90*time.Second + 5*time.Minute}}},
		{"a warm-up shorter than the cold window overlaps it", []string{"-economy", "2m", "-economy-warmup", "1m"},
			[]economyWindow{{windowCold, 0, 2 * time.Minute}, {windowSteady, time.Minute, 3 * time.Minute}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOptions(tt.args, &strings.Builder{})
			if err != nil {
				t.Fatal(err)
			}
			if got := economyWindows(o); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	for _, bad := range [][]string{{"-economy-warmup", "-1s"}, {"-economy-steady", "-1m"}} {
		if _, err := parseOptions(bad, &strings.Builder{}); err == nil {
			t.Errorf("%v: got no error, want one", bad)
		}
	}
}

func TestEconomyWorkloadsAskTheSameAppsPerCaller(t *testing.T) {
	tests := []struct {
		name                     string
		apps                     bool
		tenants, accounts, limit int
	}{
		{workloadDashboards, false, economyCallers, economyCallers, 0},
		{workloadApps, true, economyCallers, economyCallers, 0},
		{workloadCompany, true, economyCallers / economySharing, economyCallers / economySharing, economySharing * config.DefaultRateLimitPerMinute},
		{workloadShared, true, economyCallers, economyCallers / economySharing, 0},
	}
	for _, tt := range tests {
		w := workloadOf(tt.name)
		if w.Apps != tt.apps || w.Tenants() != tt.tenants || w.Accounts() != tt.accounts || w.RateLimit() != tt.limit {
			t.Errorf("%s: got apps %v, %d tenants, %d accounts, rate limit %d; want %v, %d, %d, %d", tt.name,
				w.Apps, w.Tenants(), w.Accounts(), w.RateLimit(), tt.apps, tt.tenants, tt.accounts, tt.limit)
		}
	}
}

// TestCompanyCallersAreAppsOfOneTenant reads the company workload's tenants
// file as the gateway does and its tokens as the gateway verifies them:
// each company one tenant on an account and a login of its own, with an
// inbound limit that holds its apps' traffic, and its apps economySharing
// callers of it with distinct subs.
func TestCompanyCallersAreAppsOfOneTenant(t *testing.T) {
	w := workloadOf(workloadCompany)
	specs := economyTenantSpecs(w, "http://127.0.0.1:1", "http://127.0.0.1:2/api/v1")
	got := parseWrittenTenants(t, specs)
	if len(got) != economyCallers/economySharing {
		t.Fatalf("got %d tenants, want %d", len(got), economyCallers/economySharing)
	}
	accounts, logins := make(map[string]bool), make(map[string]bool)
	for _, tn := range got {
		accounts[tn.Phonewagon.Account()] = true
		logins[tn.CallWidget.Email] = true
		if tn.RateLimitPerMinute != economySharing*config.DefaultRateLimitPerMinute {
			t.Errorf("%s: rate_limit_per_minute %d, want %d", tn.ID, tn.RateLimitPerMinute, economySharing*config.DefaultRateLimitPerMinute)
		}
	}
	if len(accounts) != len(got) || len(logins) != len(got) {
		t.Errorf("got %d accounts and %d logins for %d tenants, want one of each per tenant", len(accounts), len(logins), len(got))
	}

	secret := randomKey(32)
	tokens, err := economyTokens(secret, specs, w)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{HMACSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	subs := make(map[string]bool)
	perTenant := make(map[string]int)
	for i, tok := range tokens {
		p, err := v.Verify(tok)
		if err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
		if subs[p.Subject] {
			t.Errorf("caller %d: sub %q is another caller's", i, p.Subject)
		}
		subs[p.Subject] = true
		perTenant[p.Tenant]++
	}
	if len(tokens) != economyCallers || len(perTenant) != len(got) ||
		!slices.Equal(slices.Sorted(maps.Values(perTenant)), slices.Repeat([]int{economySharing}, len(got))) {
		t.Errorf("got %d callers over tenants %v, want %d, %d on each tenant", len(tokens), perTenant, economyCallers, economySharing)
	}
}

// TestSharedTenantsShareTheirCompanysAccounts reads the tenants file of the
// shared workload as the gateway does: a company's tenants must name one
// Phonewagon account (the key of its budget and mirror) and one CallWidget
// login (the key of its token), and no other company's.
func TestSharedTenantsShareTheirCompanysAccounts(t *testing.T) {
	specs := economyTenantSpecs(workloadOf(workloadShared), "http://127.0.0.1:1", "http://127.0.0.1:2/api/v1")
	for i := range specs {
		specs[i].Mirror = "{}"
	}
	got := parseWrittenTenants(t, specs)
	if len(got) != economyCallers {
		t.Fatalf("got %d tenants, want %d", len(got), economyCallers)
	}
	byAccount := make(map[string][]string)
	byLogin := make(map[string][]string)
	for _, tn := range got {
		byAccount[tn.Phonewagon.Account()] = append(byAccount[tn.Phonewagon.Account()], tn.ID)
		byLogin[tn.CallWidget.BaseURL.String()+"|"+tn.CallWidget.Email] = append(byLogin[tn.CallWidget.BaseURL.String()+"|"+tn.CallWidget.Email], tn.ID)
		if tn.Phonewagon.ClientSecret.Reveal() != upstreamSecret.Reveal() {
			t.Errorf("%s: the account's secret differs from the simulator's", tn.ID)
		}
	}
	if len(byAccount) != economyCallers/economySharing || len(byLogin) != economyCallers/economySharing {
		t.Fatalf("got %d accounts and %d logins, want %d of each", len(byAccount), len(byLogin), economyCallers/economySharing)
	}
	for c := range economyCallers / economySharing {
		var want []string
		for i := range economySharing {
			want = append(want, specs[c*economySharing+i].ID)
		}
		var ids []string
		for _, tenants := range byAccount {
			if slices.Contains(tenants, want[0]) {
				ids = tenants
			}
		}
		if !slices.Equal(ids, want) {
			t.Errorf("company %d: tenants %v share the account, want %v", c, ids, want)
		}
	}
	if !slices.Equal(slices.Sorted(maps.Keys(countLens(byAccount))), []int{economySharing}) ||
		!slices.Equal(slices.Sorted(maps.Keys(countLens(byLogin))), []int{economySharing}) {
		t.Errorf("got accounts %v and logins %v, want %d tenants on each", byAccount, byLogin, economySharing)
	}

	own := economyTenantSpecs(workloadOf(workloadApps), "http://127.0.0.1:1", "http://127.0.0.1:2/api/v1")
	seen := make(map[string]bool)
	for _, s := range own {
		if seen[s.ClientID] || seen[s.Email] {
			t.Errorf("apps: %s shares an account or login, want one of its own", s.ID)
		}
		seen[s.ClientID], seen[s.Email] = true, true
	}
}

// countLens counts the lengths of m's values.
func countLens(m map[string][]string) map[int]int {
	out := make(map[int]int)
	for _, v := range m {
		out[len(v)]++
	}
	return out
}

func TestClientStatsCountOnlyTheirWindow(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rec := newClientRecorder()
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	rec.record(appDashboard, outcome{at: at(0), status: 200})  // the window's first instant: in it
	rec.record(appDashboard, outcome{at: at(59), status: 200}) // in it
	rec.record(appReport, outcome{at: at(30), status: 503})    // in it
	rec.record(appDashboard, outcome{at: at(60), status: 200}) // the next window's
	rec.record(appExport, outcome{at: at(-1), status: 200})    // before it
	got := rec.stats(at(0), at(60))
	if got.Total().Requests != 3 || got.Total().OK != 2 {
		t.Errorf("got %d requests, %d 2xx; want 3, 2", got.Total().Requests, got.Total().OK)
	}
	if _, ok := got.ByApp[appExport]; ok {
		t.Error("an app with no request in the window got a row, want none")
	}
	if n := rec.stats(at(60), at(120)).Total().Requests; n != 1 {
		t.Errorf("next window: got %d requests, want 1", n)
	}
}

func TestDiffCounts(t *testing.T) {
	from := map[string]int64{kindCalls: 10, kindLogin: 20}
	to := map[string]int64{kindCalls: 15, kindLogin: 20, kindLookups: 40}
	want := map[string]int64{kindCalls: 5, kindLogin: 0, kindLookups: 40}
	if got := diffCounts(to, from); !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
