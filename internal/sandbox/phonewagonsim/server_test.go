package phonewagonsim_test

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"switchboard/internal/sandbox/phonewagonsim"
)

func TestNewRejectsInvalidConfig(t *testing.T) {
	ok := phonewagonsim.Account{ClientID: "id", ClientSecret: "s3cr3t-value"}
	tests := []struct {
		name string
		cfg  phonewagonsim.Config
		want string
	}{
		{"no accounts is an error", phonewagonsim.Config{}, "Accounts"},
		{"an empty client id is an error", phonewagonsim.Config{Accounts: []phonewagonsim.Account{{ClientSecret: "s3cr3t-value"}}}, "ClientID"},
		{"a client id with a colon is an error", phonewagonsim.Config{Accounts: []phonewagonsim.Account{{ClientID: "a:b", ClientSecret: "s3cr3t-value"}}}, "ClientID"},
		{"a duplicate client id is an error", phonewagonsim.Config{Accounts: []phonewagonsim.Account{ok, ok}}, "duplicate"},
		{"an empty secret is an error", phonewagonsim.Config{Accounts: []phonewagonsim.Account{{ClientID: "id"}}}, "ClientSecret"},
		{"a negative call count is an error", phonewagonsim.Config{Accounts: []phonewagonsim.Account{{ClientID: "id", ClientSecret: "s3cr3t-value", Calls: -1}}}, "Calls"},
		{"a negative rate is an error", phonewagonsim.Config{Accounts: []phonewagonsim.Account{ok}, RatePerMinute: -1}, "RatePerMinute"},
		{"a negative latency is an error", phonewagonsim.Config{Accounts: []phonewagonsim.Account{ok}, Latency: -1}, "Latency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := phonewagonsim.New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one naming %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cr3t-value") {
				t.Errorf("got error %q, want it without the secret", err)
			}
		})
	}
}

func TestAuthentication(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name       string
		id, secret string
		want       int
	}{
		{"a request without credentials is unauthorized", "", "", http.StatusUnauthorized},
		{"a wrong secret is unauthorized", acmeID, "nope", http.StatusUnauthorized},
		{"an unknown client id is unauthorized", "who", acmeSecret, http.StatusUnauthorized},
		{"another account's secret is unauthorized", acmeID, globexKey, http.StatusUnauthorized},
		{"the right id and secret are accepted", acmeID, acmeSecret, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.mustGet(t, "/companies", tt.id, tt.secret)
			if resp.status != tt.want {
				t.Fatalf("got %d, want %d", resp.status, tt.want)
			}
			if tt.want != http.StatusUnauthorized {
				return
			}
			if got := resp.header.Get("WWW-Authenticate"); got != `Basic realm="phonewagon"` {
				t.Errorf("got WWW-Authenticate %q, want %q", got, `Basic realm="phonewagon"`)
			}
			decode[map[string]any](t, resp.body)
		})
	}
}

func TestCompaniesShape(t *testing.T) {
	f := newFixture(t, nil)
	resp := f.mustGet(t, "/companies", acmeID, acmeSecret)
	body := decode[map[string][]map[string]any](t, resp.body)
	companies := body["companies"]
	if n := len(companies); n < 3 || n > 5 {
		t.Fatalf("got %d companies, want 3–5", n)
	}
	want := f.dataset(t, acmeID).Companies
	for i, c := range companies {
		if len(c) != 2 {
			t.Errorf("company %d: got keys %v, want exactly id and name", i, c)
		}
		id, ok := c["id"].(float64)
		if !ok || id != float64(want[i].ID) {
			t.Errorf("company %d: got id %#v, want the integer %d", i, c["id"], want[i].ID)
		}
		if name, ok := c["name"].(string); !ok || name != want[i].Name {
			t.Errorf("company %d: got name %#v, want %q", i, c["name"], want[i].Name)
		}
	}
}

func TestCampaigns(t *testing.T) {
	f := newFixture(t, nil)
	d := f.dataset(t, acmeID)
	company := d.Companies[0].ID
	var want []string
	for _, c := range d.Campaigns {
		if c.CompanyID == company {
			want = append(want, c.ID)
		}
	}
	tests := []struct {
		name       string
		query      string
		wantStatus int
		wantIDs    []string
	}{
		{"a missing company_id is a bad request", "", http.StatusBadRequest, nil},
		{"a non-integer company_id is a bad request", "?company_id=abc", http.StatusBadRequest, nil},
		{"an unknown company has no campaigns", "?company_id=1", http.StatusOK, []string{}},
		{"a known company lists its campaigns", fmt.Sprintf("?company_id=%d", company), http.StatusOK, want},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.mustGet(t, "/campaigns"+tt.query, acmeID, acmeSecret)
			if resp.status != tt.wantStatus {
				t.Fatalf("got %d, want %d", resp.status, tt.wantStatus)
			}
			if tt.wantIDs == nil {
				decode[map[string]any](t, resp.body)
				return
			}
			body := decode[map[string][]map[string]any](t, resp.body)
			got := []string{}
			for _, c := range body["campaigns"] {
				id, ok := c["id"].(string)
				if _, named := c["name"].(string); !ok || !named || len(c) != 2 {
					t.Errorf("got campaign %v, want a string id and a name only", c)
				}
				got = append(got, id)
			}
			if !reflect.DeepEqual(got, tt.wantIDs) {
				t.Errorf("got ids %v, want %v", got, tt.wantIDs)
			}
		})
	}
	if n := len(want); n < 2 || n > 4 {
		t.Errorf("got %d campaigns for company %d, want 2–4", n, company)
	}
}

func TestUnknownPathAndWrongMethod(t *testing.T) {
	f := newFixture(t, nil)
	t.Run("an unknown path is not found", func(t *testing.T) {
		resp := f.mustGet(t, "/calls/123", acmeID, acmeSecret)
		if resp.status != http.StatusNotFound {
			t.Fatalf("got %d, want 404", resp.status)
		}
		decode[map[string]any](t, resp.body)
	})
	t.Run("a POST to a GET endpoint is not allowed", func(t *testing.T) {
		resp, err := do(t.Context(), http.MethodPost, f.srv.URL+"/calls", acmeID, acmeSecret)
		if err != nil || resp.status != http.StatusMethodNotAllowed {
			t.Fatalf("got %d, err %v; want 405", resp.status, err)
		}
		if got := resp.header.Get("Allow"); got != http.MethodGet {
			t.Errorf("got Allow %q, want GET", got)
		}
	})
}

func TestAccountsHaveTheirOwnDeterministicData(t *testing.T) {
	f := newFixture(t, nil)
	acme, globex := f.dataset(t, acmeID), f.dataset(t, globexID)
	if reflect.DeepEqual(acme.Companies, globex.Companies) || acme.Calls[0].SID == globex.Calls[0].SID {
		t.Fatalf("got the same companies or calls for two accounts, want different datasets")
	}
	resp := f.mustGet(t, "/companies", globexID, globexKey)
	body := decode[map[string][]phonewagonsim.Company](t, resp.body)
	if !reflect.DeepEqual(body["companies"], globex.Companies) {
		t.Errorf("got %v for globex, want its own companies %v", body["companies"], globex.Companies)
	}
	again := newFixture(t, nil).dataset(t, acmeID)
	if !reflect.DeepEqual(again, acme) {
		t.Errorf("got a different dataset from an identical config, want the same data")
	}
	if _, ok := f.sim.Dataset("nobody"); ok {
		t.Errorf("got a dataset for an unknown client id, want none")
	}
}

func TestRequestsAreRecordedWithoutSecrets(t *testing.T) {
	f := newFixture(t, nil)
	f.mustGet(t, "/calls?page_size=2", acmeID, acmeSecret)
	f.mustGet(t, "/companies", globexID, "wrong-secret")
	reqs := f.sim.Requests()
	if len(reqs) != 2 || f.sim.RequestCount() != 2 {
		t.Fatalf("got %d requests (count %d), want 2", len(reqs), f.sim.RequestCount())
	}
	first := reqs[0]
	if first.Method != http.MethodGet || first.Path != "/calls" || first.RawQuery != "page_size=2" ||
		first.ClientID != acmeID || !first.Time.Equal(now) {
		t.Errorf("got %+v, want GET /calls page_size=2 by %s at %s", first, acmeID, now)
	}
	if dump := fmt.Sprintf("%+v", reqs); strings.Contains(dump, acmeSecret) || strings.Contains(dump, "wrong-secret") {
		t.Errorf("got a secret in the recorded requests: %s", dump)
	}
}

func TestConcurrentUseIsSafe(t *testing.T) {
	f := newFixture(t, func(c *phonewagonsim.Config) { c.RatePerMinute = 1000 })
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			path := []string{"/companies", "/calls?page_size=50", "/campaigns?company_id=1"}[i%3]
			if _, err := f.get(t, path, acmeID, acmeSecret); err != nil {
				t.Errorf("GET %s: got error %v, want a response", path, err)
			}
			_ = f.sim.Requests()
		})
	}
	wg.Wait()
	if got := f.sim.RequestCount(); got != 8 {
		t.Errorf("got %d requests recorded, want 8", got)
	}
}
