package phonewagon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/domain"
)

func TestNewValidatesConfig(t *testing.T) {
	valid := Config{BaseURL: "https://dev.phonewagon.com", ClientID: "id", ClientSecret: "secret"}
	tests := []struct {
		name      string
		mod       func(*Config)
		wantField string
	}{
		{"a missing base URL is refused", func(c *Config) { c.BaseURL = "" }, "base_url"},
		{"a base URL that is not http is refused", func(c *Config) { c.BaseURL = "ftp://dev.phonewagon.com" }, "base_url"},
		{"a base URL without a host is refused", func(c *Config) { c.BaseURL = "https:///calls" }, "base_url"},
		{"a base URL with credentials is refused", func(c *Config) { c.BaseURL = "https://id:pw@dev.phonewagon.com" }, "base_url"},
		{"a base URL with a query is refused", func(c *Config) { c.BaseURL = "https://dev.phonewagon.com/?x=1" }, "base_url"},
		{"a relative base URL is refused", func(c *Config) { c.BaseURL = "dev.phonewagon.com" }, "base_url"},
		{"a missing client id is refused", func(c *Config) { c.ClientID = "" }, "client_id"},
		{"a client id with a colon is refused", func(c *Config) { c.ClientID = "a:b" }, "client_id"},
		{"a missing client secret is refused", func(c *Config) { c.ClientSecret = "" }, "client_secret"},
		{"a negative timeout is refused", func(c *Config) { c.Timeout = -time.Second }, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.mod(&cfg)
			_, err := New(cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantField) {
				t.Fatalf("got %v, want an error naming %s", err, tt.wantField)
			}
			if strings.Contains(err.Error(), "pw@") {
				t.Errorf("error %q reveals a credential", err)
			}
		})
	}
	t.Run("a valid config with zero optional fields gets the defaults", func(t *testing.T) {
		c, err := New(valid)
		if err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		if c.timeout != DefaultTimeout || c.now == nil {
			t.Errorf("got timeout %v, clock set %v; want %v and a clock", c.timeout, c.now != nil, DefaultTimeout)
		}
	})
}

func TestBudgetRefusalSendsNothing(t *testing.T) {
	refusal := &domain.Error{Code: domain.CodeUpstreamBudget, Message: "spent", RetryAfter: 7 * time.Second}
	budget := &fakeBudget{waitErr: refusal}
	f := setup(t, func(c *Config) { c.Budget = budget })
	f.mux.HandleFunc("/", func(http.ResponseWriter, *http.Request) { t.Error("the upstream was called") })

	calls := map[string]func() error{
		"companies": func() error { _, _, err := f.client.Companies(context.Background()); return err },
		"campaigns": func() error { _, _, err := f.client.Campaigns(context.Background(), "1"); return err },
		"calls":     func() error { _, _, err := f.client.Calls(context.Background(), domain.CallsQuery{}); return err },
	}
	for name, call := range calls {
		t.Run("a refused "+name+" request never reaches the network", func(t *testing.T) {
			err := call()
			if got := domain.AsError(err); got != refusal {
				t.Errorf("got %v, want the budget's own error", err)
			}
		})
	}
	if waits, _ := budget.counts(); waits != 3 {
		t.Errorf("got %d budget waits, want 3", waits)
	}
	if got := f.hits.Load(); got != 0 {
		t.Errorf("got %d requests to the upstream, want 0", got)
	}
}

func TestBudgetIsConsultedBeforeEveryRequest(t *testing.T) {
	budget := &fakeBudget{}
	f := setup(t, func(c *Config) { c.Budget = budget })
	f.mux.HandleFunc("/companies", reply(t, url.Values{}, `{"companies":[]}`))
	for range 3 {
		if _, _, err := f.client.Companies(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if waits, _ := budget.counts(); waits != 3 || f.hits.Load() != 3 {
		t.Errorf("got %d waits for %d requests, want 3 and 3", waits, f.hits.Load())
	}
}

func TestObserveReportsEachRequest(t *testing.T) {
	type obs struct {
		endpoint string
		status   int
	}
	var (
		mu  sync.Mutex
		got []obs
	)
	f := setup(t, func(c *Config) {
		c.Observe = func(endpoint string, status int, d time.Duration) {
			if d < 0 {
				t.Errorf("got negative duration %v", d)
			}
			mu.Lock()
			defer mu.Unlock()
			got = append(got, obs{endpoint, status})
		}
	})
	f.mux.HandleFunc("/companies", reply(t, url.Values{}, `{"companies":[]}`))
	f.mux.HandleFunc("/campaigns", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })

	_, _, _ = f.client.Companies(context.Background())
	_, _, _ = f.client.Campaigns(context.Background(), "1")
	f.server.Close()
	_, _, _ = f.client.Calls(context.Background(), domain.CallsQuery{})

	want := []obs{{"companies", 200}, {"campaigns", 502}, {"calls", 0}}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("observation %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	elsewhere, elsewhereHits := counter(t)
	f := setup(t, nil)
	f.mux.HandleFunc("/companies", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/companies", http.StatusFound)
	})

	_, resp, err := f.client.Companies(context.Background())
	if got := domain.ErrorCode(err); got != domain.CodeUpstreamError {
		t.Errorf("got code %s, want %s", got, domain.CodeUpstreamError)
	}
	if resp == nil || resp.StatusCode != http.StatusFound {
		t.Errorf("got response %v, want the 302 itself", resp)
	}
	if got := elsewhereHits.Load(); got != 0 {
		t.Errorf("got %d requests to the redirect target, want 0", got)
	}
}

func TestCredentialsAreOnlySentToTheConfiguredOrigin(t *testing.T) {
	var sent []*http.Request
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent = append(sent, r)
		return nil, errors.New("stop")
	})
	tr := &basicAuthTransport{username: "id", password: testSecret, origin: "https://dev.phonewagon.com:443", base: base}

	tests := []struct {
		name     string
		url      string
		wantSent bool
	}{
		{"the configured origin gets the credentials", "https://dev.phonewagon.com/calls", true},
		{"an explicit default port is the same origin", "https://DEV.phonewagon.com:443/calls", true},
		{"another host is refused", "https://evil.example.com/calls", false},
		{"another scheme is refused", "http://dev.phonewagon.com/calls", false},
		{"another port is refused", "https://dev.phonewagon.com:8443/calls", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sent = nil
			req, _ := http.NewRequest(http.MethodGet, tt.url, nil)
			_, err := tr.RoundTrip(req)
			if got := len(sent) == 1; got != tt.wantSent {
				t.Fatalf("got sent %v, want %v", got, tt.wantSent)
			}
			if !tt.wantSent {
				if !errors.Is(err, errForeignOrigin) {
					t.Errorf("got %v, want errForeignOrigin", err)
				}
				return
			}
			if _, pw, _ := sent[0].BasicAuth(); pw != testSecret.Reveal() {
				t.Errorf("got password %q, want the secret", pw)
			}
			if req.Header.Get("Authorization") != "" {
				t.Error("the caller's request was modified")
			}
		})
	}
}

func TestTransportNeverPrintsTheSecret(t *testing.T) {
	tr := &basicAuthTransport{username: "id", password: "canary-secret-value"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if got := fmt.Sprintf(verb, tr); strings.Contains(got, "canary") {
			t.Errorf("%s printed the secret: %s", verb, got)
		}
	}
}
