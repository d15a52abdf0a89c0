package config

import (
	"net/url"
	"testing"
)

func TestPhonewagonAccount(t *testing.T) {
	cases := []struct {
		name     string
		baseURL  string
		clientID string
		want     string
	}{
		{"the account is scheme, host and client id", "https://dev.phonewagon.com", "acme-client", "https://dev.phonewagon.com/acme-client"},
		{"the base URL path is ignored", "https://dev.phonewagon.com/v2", "acme-client", "https://dev.phonewagon.com/acme-client"},
		{"the host is lower-cased and the default port dropped", "https://DEV.Phonewagon.com:443", "acme-client", "https://dev.phonewagon.com/acme-client"},
		{"a non-default port is kept", "http://127.0.0.1:8081", "acme", "http://127.0.0.1:8081/acme"},
		{"http and https are different accounts", "http://dev.phonewagon.com", "acme", "http://dev.phonewagon.com/acme"},
		{"an IPv6 host keeps its brackets", "http://[::1]:9000", "acme", "http://[::1]:9000/acme"},
		{"a client id with a slash is escaped", "https://p.example", "a/b c", "https://p.example/a%2Fb%20c"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, err := url.Parse(c.baseURL)
			if err != nil {
				t.Fatal(err)
			}
			p := &Phonewagon{BaseURL: u, ClientID: c.clientID}
			if got := p.Account(); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	t.Run("a nil Phonewagon has no account", func(t *testing.T) {
		var p *Phonewagon
		if got := p.Account(); got != "" {
			t.Errorf("got %q, want empty", got)
		}
	})
}

func TestConfigTenant(t *testing.T) {
	c := &Config{Tenants: []Tenant{{ID: "acme"}, {ID: "beta"}}}
	t.Run("a known id returns that tenant", func(t *testing.T) {
		got, ok := c.Tenant("beta")
		if !ok || got.ID != "beta" || got != &c.Tenants[1] {
			t.Errorf("got (%v, %v), want (&Tenants[1], true)", got, ok)
		}
	})
	t.Run("an unknown id returns false", func(t *testing.T) {
		if got, ok := c.Tenant("gamma"); ok || got != nil {
			t.Errorf("got (%v, %v), want (nil, false)", got, ok)
		}
	})
}
