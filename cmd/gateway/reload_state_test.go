package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"switchboard/internal/auth"
	"switchboard/internal/sandbox/fault"
)

// budgetTenantYAML is a Phonewagon-only tenant on account ("acme" or
// "beta") with budget_per_minute budget.
func (u *upstreams) budgetTenantYAML(id, account string, budget int) string {
	return fmt.Sprintf("  - id: %s\n    phonewagon: {base_url: %s, client_id: %s-client, client_secret: %s-pw-secret, budget_per_minute: %d}\n",
		id, u.pwURL, account, account, budget)
}

// TestReloadKeepsAccountStateAndUpdatesTheGauges: an open breaker stays open
// across a reload that leaves its account alone; a budget whose limit
// changes keeps the requests its window already counts; the gauges follow
// the accounts in force, an account no longer named leaving them.
func TestReloadKeepsAccountStateAndUpdatesTheGauges(t *testing.T) {
	up := startUpstreams(t)
	file := writeTenants(t, "", "tenants:\n"+up.budgetTenantYAML("acme", "acme", 50)+up.budgetTenantYAML("beta", "beta", 50))
	g := startGateway(t, map[string]string{"SWITCHBOARD_TENANTS_FILE": file})
	acme := token(t, "acme", auth.KnownScopes()...)
	beta := token(t, "beta", auth.KnownScopes()...)

	up.pw.InjectFault(fault.Fault{Status: 500, Times: 5})
	for i := range 5 {
		resp, body := g.get(t, fmt.Sprintf("/v1/calls?limit=%d", i+1), acme)
		problem(t, resp, body, http.StatusBadGateway, "upstream-error")
	}
	if got := g.status(t, "/v1/companies", beta); got != http.StatusOK {
		t.Fatalf("beta's request before the reload: got %d, want 200", got)
	}

	writeTenants(t, file, "tenants:\n"+up.budgetTenantYAML("acme", "acme", 50)+up.budgetTenantYAML("beta", "beta", 10))
	g.reload(t, 1)
	got := g.scrape(t)

	t.Run("an open breaker stays open", func(t *testing.T) {
		if s := series("switchboard_upstream_breaker_state", "breaker", "phonewagon:acme-client"); got[s] != 1 {
			t.Fatalf("%s: got %v, want 1 (open)", s, got[s])
		}
		before := up.pw.RequestCount()
		resp, body := g.get(t, "/v1/calls?limit=9", acme)
		problem(t, resp, body, http.StatusServiceUnavailable, "upstream-unavailable")
		if n := up.pw.RequestCount() - before; n != 0 {
			t.Fatalf("upstream requests through the open breaker: got %d, want 0", n)
		}
	})
	t.Run("a changed budget keeps its window's count", func(t *testing.T) {
		for s, want := range map[string]float64{
			series("switchboard_phonewagon_budget_limit", "account", "beta-client"):     10,
			series("switchboard_phonewagon_budget_remaining", "account", "beta-client"): 9,
			series("switchboard_phonewagon_budget_limit", "account", "acme-client"):     50,
		} {
			if got[s] != want {
				t.Errorf("%s: got %v, want %v", s, got[s], want)
			}
		}
	})

	writeTenants(t, file, "tenants:\n"+up.budgetTenantYAML("acme", "acme", 50))
	g.reload(t, 2)
	t.Run("an account no longer named leaves the gauges", func(t *testing.T) {
		got := g.scrape(t)
		for _, s := range []string{
			series("switchboard_phonewagon_budget_limit", "account", "beta-client"),
			series("switchboard_phonewagon_budget_remaining", "account", "beta-client"),
			series("switchboard_upstream_breaker_state", "breaker", "phonewagon:beta-client"),
		} {
			if v, ok := got[s]; ok {
				t.Errorf("%s: got %v, want no series", s, v)
			}
		}
		if s := series("switchboard_upstream_breaker_state", "breaker", "phonewagon:acme-client"); got[s] != 1 {
			t.Errorf("%s: got %v, want 1", s, got[s])
		}
	})
}

// TestReloadLetsInFlightRequestsFinish: a request of a tenant that a reload
// removes, already waiting on its upstream, completes with 200; the
// tenant's next request is refused.
func TestReloadLetsInFlightRequestsFinish(t *testing.T) {
	up := startUpstreams(t)
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-release
		up.pw.ServeHTTP(w, r)
	}))
	t.Cleanup(gate.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	slow := *up
	slow.pwURL = gate.URL
	file := writeTenants(t, "", "tenants:\n"+up.budgetTenantYAML("acme", "acme", 50)+slow.budgetTenantYAML("beta", "beta", 50))
	g := startGateway(t, map[string]string{"SWITCHBOARD_TENANTS_FILE": file})
	beta := token(t, "beta", auth.KnownScopes()...)

	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, g.URL+"/v1/companies", nil)
		req.Header.Set("Authorization", "Bearer "+beta)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	<-arrived // beta's request is at its upstream

	writeTenants(t, file, "tenants:\n"+up.budgetTenantYAML("acme", "acme", 50))
	g.reload(t, 1)
	if got := g.status(t, "/v1/companies", beta); got != http.StatusForbidden {
		t.Fatalf("beta's request after the reload: got %d, want 403", got)
	}
	close(release)
	if got := <-done; got != http.StatusOK {
		t.Fatalf("beta's request in flight during the reload: got %d, want 200", got)
	}
}

// TestReloadsUnderTrafficAnswerOnlyWithTheOldOrTheNewTenants: while reloads
// add and remove a tenant, concurrent requests get 200 or 403, never a 5xx
// (run with -race, the swap itself is checked for data races).
func TestReloadsUnderTrafficAnswerOnlyWithTheOldOrTheNewTenants(t *testing.T) {
	up := startUpstreams(t)
	with := "tenants:\n" + up.budgetTenantYAML("acme", "acme", 50) + up.budgetTenantYAML("beta", "beta", 50)
	without := "tenants:\n" + up.budgetTenantYAML("acme", "acme", 50)
	file := writeTenants(t, "", with)
	g := startGateway(t, map[string]string{"SWITCHBOARD_TENANTS_FILE": file})
	toks := []string{token(t, "acme", auth.KnownScopes()...), token(t, "beta", auth.KnownScopes()...)}
	g.get(t, "/v1/companies", toks[0]) // fill the cache: the traffic below costs no budget
	g.get(t, "/v1/companies", toks[1])

	stop := make(chan struct{})
	bad := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			req, _ := http.NewRequest(http.MethodGet, g.URL+"/v1/companies", nil)
			req.Header.Set("Authorization", "Bearer "+toks[i%2])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				bad <- err.Error()
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK && !(i%2 == 1 && resp.StatusCode == http.StatusForbidden) {
				bad <- fmt.Sprintf("request %d: status %d", i, resp.StatusCode)
				return
			}
		}
	}()
	for i := 1; i <= 10; i++ {
		doc := without
		if i%2 == 0 {
			doc = with
		}
		writeTenants(t, file, doc)
		g.reload(t, i)
	}
	close(stop)
	<-done
	select {
	case b := <-bad:
		t.Fatalf("got %s, want 200 (or 403 for the tenant being removed)", b)
	default:
	}
}
