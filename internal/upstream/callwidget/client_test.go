package callwidget

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/cache"
)

func TestNewValidatesConfig(t *testing.T) {
	valid := func() Config {
		return Config{BaseURL: "https://api.callwidget.co/api/v1", Email: testEmail, Password: testPassword}
	}
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{name: "a complete config is accepted", edit: func(*Config) {}},
		{name: "a trailing slash on the base URL is accepted", edit: func(c *Config) { c.BaseURL += "/" }},
		{name: "a missing base URL is refused", edit: func(c *Config) { c.BaseURL = "" }, wantErr: "base_url: is required"},
		{name: "a base URL that is not http is refused", edit: func(c *Config) { c.BaseURL = "ftp://api.callwidget.co" }, wantErr: "base_url: must be an http or https URL"},
		{name: "a base URL without a host is refused", edit: func(c *Config) { c.BaseURL = "https:///api/v1" }, wantErr: "base_url: must name a host"},
		{name: "a base URL with credentials is refused without quoting them",
			edit: func(c *Config) { c.BaseURL = "https://ops:" + testPassword + "@api.callwidget.co" }, wantErr: "base_url: must not carry credentials"},
		{name: "a base URL with a query is refused", edit: func(c *Config) { c.BaseURL += "?x=1" }, wantErr: "base_url: must not have a query"},
		{name: "a missing email is refused", edit: func(c *Config) { c.Email = " " }, wantErr: "email: is required"},
		{name: "a missing password is refused", edit: func(c *Config) { c.Password = "" }, wantErr: "password: is required"},
		{name: "a negative timeout is refused", edit: func(c *Config) { c.Timeout = -time.Second }, wantErr: "timeout: must not be negative"},
		{name: "a negative expiry delta is refused", edit: func(c *Config) { c.ExpiryDelta = -time.Second }, wantErr: "expiry_delta: must not be negative"},
		{name: "a token store without a key is refused", edit: func(c *Config) { c.Tokens = cache.NewMemoryTokens() }, wantErr: "token_key: is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.edit(&cfg)
			c, err := New(cfg)
			if tt.wantErr == "" {
				if err != nil || c == nil {
					t.Fatalf("got %v, want a client", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Fatalf("error %q contains the password", err)
			}
		})
	}
}

func TestHooksSeeEveryUpstreamRequest(t *testing.T) {
	f := newFakeUpstream(t)
	var mu sync.Mutex
	var observed []string
	var logins, refreshes int
	c := newTestClient(t, f, newFakeClock(), func(cfg *Config) {
		cfg.Observe = func(endpoint string, status int, _ time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			observed = append(observed, fmt.Sprintf("%s %d", endpoint, status))
		}
		cfg.OnLogin = func() { mu.Lock(); logins++; mu.Unlock() }
		cfg.OnRefresh = func() { mu.Lock(); refreshes++; mu.Unlock() }
	})

	mustTags(t, c)
	f.revokeAccess()
	if _, _, err := c.Installs(context.Background()); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	want := []string{"api-login 200", "share/tags 200", "share/installs 401", "refresh-token 200", "share/installs 200"}
	if fmt.Sprint(observed) != fmt.Sprint(want) {
		t.Fatalf("observed %q, want %q", observed, want)
	}
	if logins != 1 || refreshes != 1 {
		t.Fatalf("got %d OnLogin and %d OnRefresh calls, want 1 and 1", logins, refreshes)
	}
}

func TestAClientPrintsNoSecret(t *testing.T) {
	f := newFakeUpstream(t)
	c := newTestClient(t, f, newFakeClock(), nil)
	mustTags(t, c)

	auth := c.http.Transport.(*authTransport)
	for _, v := range []any{c, auth, auth.tokens, auth.tokens.auth, auth.tokens.current()} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			out := fmt.Sprintf(verb, v)
			for _, secret := range []string{testPassword, "access-1", "refresh-1"} {
				if strings.Contains(out, secret) {
					t.Fatalf("%s of %T prints a secret: %s", verb, v, out)
				}
			}
		}
	}
}
