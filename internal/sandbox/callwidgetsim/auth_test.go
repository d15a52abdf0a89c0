package callwidgetsim_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/internal/sandbox/callwidgetsim"
)

func TestNewRejectsInvalidConfig(t *testing.T) {
	ok := callwidgetsim.User{Email: "a@b.example", Password: "s3cr3t-value"}
	tests := []struct {
		name string
		cfg  callwidgetsim.Config
		want string
	}{
		{"no users is an error", callwidgetsim.Config{}, "Users"},
		{"an empty email is an error", callwidgetsim.Config{Users: []callwidgetsim.User{{Password: "s3cr3t-value"}}}, "Email"},
		{"a duplicate email is an error", callwidgetsim.Config{Users: []callwidgetsim.User{ok, ok}}, "duplicate"},
		{"an empty password is an error", callwidgetsim.Config{Users: []callwidgetsim.User{{Email: "a@b.example"}}}, "Password"},
		{"a negative token TTL is an error", callwidgetsim.Config{Users: []callwidgetsim.User{ok}, TokenTTL: -time.Second}, "TokenTTL"},
		{"a negative refresh TTL is an error", callwidgetsim.Config{Users: []callwidgetsim.User{ok}, RefreshTTL: -time.Second}, "RefreshTTL"},
		{"a negative latency is an error", callwidgetsim.Config{Users: []callwidgetsim.User{ok}, Latency: -time.Second}, "Latency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := callwidgetsim.New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one naming %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cr3t-value") {
				t.Errorf("got error %q, want it without the password", err)
			}
		})
	}
}

func TestLogin(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name string
		body string
		want int
	}{
		{"the right email and password log in", jsonOf(t, map[string]string{"email": aliceEmail, "password": alicePass}), http.StatusOK},
		{"a wrong password is unauthorized", jsonOf(t, map[string]string{"email": aliceEmail, "password": bobPass}), http.StatusUnauthorized},
		{"an unknown email is unauthorized", jsonOf(t, map[string]string{"email": "eve@x.example", "password": alicePass}), http.StatusUnauthorized},
		{"missing fields are unauthorized", `{}`, http.StatusUnauthorized},
		{"a body that is not JSON is a bad request", `email=alice`, http.StatusBadRequest},
		{"a JSON array is a bad request", `[]`, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.mustDo(t, http.MethodPost, "/api-login", "", tt.body)
			if resp.status != tt.want {
				t.Fatalf("got %d %s, want %d", resp.status, resp.body, tt.want)
			}
			body := decode[map[string]any](t, resp.body)
			if tt.want != http.StatusOK {
				return
			}
			if body["token_type"] != "Bearer" || body["expires_in"] != float64(3600) {
				t.Errorf("got token_type %v expires_in %v, want Bearer and 3600", body["token_type"], body["expires_in"])
			}
			for _, k := range []string{"access_token", "refresh_token"} {
				if s, ok := body[k].(string); !ok || len(s) < 32 {
					t.Errorf("got %s %#v, want a long opaque string", k, body[k])
				}
			}
			if len(body) != 4 {
				t.Errorf("got keys %v, want exactly the four documented ones", body)
			}
		})
	}
	if got := f.sim.Logins(); got != len(tests) {
		t.Errorf("got %d logins counted, want %d (every attempt)", got, len(tests))
	}
}

func TestLoginsIssueDistinctTokens(t *testing.T) {
	f := newFixture(t, nil)
	a, b := f.login(t, aliceEmail, alicePass), f.login(t, aliceEmail, alicePass)
	if a.AccessToken == b.AccessToken || a.RefreshToken == b.RefreshToken || a.AccessToken == a.RefreshToken {
		t.Fatalf("got repeated tokens, want every token unique")
	}
	for _, tok := range []string{a.AccessToken, b.AccessToken} {
		if got := f.mustDo(t, http.MethodGet, "/share/tags", tok, "").status; got != http.StatusOK {
			t.Errorf("got %d with an earlier login's token, want 200: a new login does not revoke older ones", got)
		}
	}
	if got := f.sim.Logins(); got != 2 {
		t.Errorf("got %d logins, want 2", got)
	}
}

func TestAccessTokenExpiresByTheClock(t *testing.T) {
	f := newFixture(t, func(c *callwidgetsim.Config) { c.TokenTTL = 10 * time.Minute })
	tok := f.login(t, aliceEmail, alicePass)
	if tok.ExpiresIn != 600 {
		t.Errorf("got expires_in %d, want 600", tok.ExpiresIn)
	}
	tests := []struct {
		name  string
		after time.Duration
		want  int
	}{
		{"a fresh token works", 0, http.StatusOK},
		{"a token works until just before its expiry", 10*time.Minute - time.Second, http.StatusOK},
		{"a token is rejected at its expiry", 10 * time.Minute, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.clock.Set(now.Add(tt.after))
			if got := f.mustDo(t, http.MethodGet, "/share/installs", tok.AccessToken, "").status; got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestShareEndpointsNeedAValidBearerToken(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name   string
		header string
	}{
		{"no Authorization header is unauthorized", ""},
		{"a Basic header is unauthorized", "Basic YWxpY2U6cGFzcw=="},
		{"an unknown token is unauthorized", "Bearer not-a-token"},
		{"an empty bearer token is unauthorized", "Bearer "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/api/v1/share/installs", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("got error %v, want a response", err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != "Bearer" {
				t.Fatalf("got %d with WWW-Authenticate %q, want 401 with Bearer", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("got Content-Type %q, want application/json", ct)
			}
		})
	}
}

func TestRefreshRotatesBothTokens(t *testing.T) {
	f := newFixture(t, nil)
	first := f.login(t, aliceEmail, alicePass)

	resp := f.refresh(t, first.RefreshToken)
	if resp.status != http.StatusOK {
		t.Fatalf("refresh: got %d %s, want 200", resp.status, resp.body)
	}
	second := decode[tokens](t, resp.body)
	steps := []struct {
		name   string
		status func() int
		want   int
	}{
		{"the new access token works", func() int { return f.mustDo(t, http.MethodGet, "/share/tags", second.AccessToken, "").status }, http.StatusOK},
		{"the old access token stops working", func() int { return f.mustDo(t, http.MethodGet, "/share/tags", first.AccessToken, "").status }, http.StatusUnauthorized},
		{"the old refresh token cannot be reused", func() int { return f.refresh(t, first.RefreshToken).status }, http.StatusUnauthorized},
		{"the new refresh token works", func() int { return f.refresh(t, second.RefreshToken).status }, http.StatusOK},
		{"an unknown refresh token is unauthorized", func() int { return f.refresh(t, "nope").status }, http.StatusUnauthorized},
		{"a missing refresh token is unauthorized", func() int { return f.mustDo(t, http.MethodPost, "/refresh-token", "", `{}`).status }, http.StatusUnauthorized},
		{"a body that is not JSON is a bad request", func() int { return f.mustDo(t, http.MethodPost, "/refresh-token", "", `nope`).status }, http.StatusBadRequest},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if got := s.status(); got != s.want {
				t.Fatalf("got %d, want %d", got, s.want)
			}
		})
	}
	if got := f.sim.Refreshes(); got != 6 {
		t.Errorf("got %d refreshes counted, want 6 (every attempt)", got)
	}
	if got := f.sim.Logins(); got != 1 {
		t.Errorf("got %d logins, want 1", got)
	}
}

func TestRefreshTokenExpiresByTheClock(t *testing.T) {
	f := newFixture(t, func(c *callwidgetsim.Config) { c.RefreshTTL = time.Hour; c.TokenTTL = time.Minute })
	tok := f.login(t, aliceEmail, alicePass)
	f.clock.Set(now.Add(time.Hour))
	if got := f.refresh(t, tok.RefreshToken).status; got != http.StatusUnauthorized {
		t.Fatalf("got %d for an expired refresh token, want 401", got)
	}
}

func TestRevokedAccessTokensFailWhileRefreshWorks(t *testing.T) {
	f := newFixture(t, nil)
	alice, bob := f.login(t, aliceEmail, alicePass), f.login(t, bobEmail, bobPass)
	f.sim.RevokeAccessTokens(aliceEmail)
	if got := f.mustDo(t, http.MethodGet, "/share/tags", alice.AccessToken, "").status; got != http.StatusUnauthorized {
		t.Fatalf("got %d with a revoked token, want 401", got)
	}
	if got := f.mustDo(t, http.MethodGet, "/share/tags", bob.AccessToken, "").status; got != http.StatusOK {
		t.Errorf("got %d for another user, want 200", got)
	}
	resp := f.refresh(t, alice.RefreshToken)
	if resp.status != http.StatusOK {
		t.Fatalf("refresh after revocation: got %d, want 200", resp.status)
	}
	fresh := decode[tokens](t, resp.body)
	if got := f.mustDo(t, http.MethodGet, "/share/tags", fresh.AccessToken, "").status; got != http.StatusOK {
		t.Errorf("got %d with the refreshed token, want 200", got)
	}
}

func TestRequestsAreRecordedWithoutSecrets(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.login(t, aliceEmail, alicePass)
	f.mustDo(t, http.MethodGet, "/share/tags?x=1", tok.AccessToken, "")
	f.mustDo(t, http.MethodGet, "/share/tags", "bad-token", "")
	reqs := f.sim.Requests()
	if len(reqs) != 3 || f.sim.RequestCount() != 3 {
		t.Fatalf("got %d requests (count %d), want 3", len(reqs), f.sim.RequestCount())
	}
	want := []callwidgetsim.Request{
		{Method: http.MethodPost, Path: "/api/v1/api-login", Email: aliceEmail, Time: now},
		{Method: http.MethodGet, Path: "/api/v1/share/tags", RawQuery: "x=1", Email: aliceEmail, Time: now},
		{Method: http.MethodGet, Path: "/api/v1/share/tags", Time: now},
	}
	for i := range want {
		if reqs[i] != want[i] {
			t.Errorf("request %d: got %+v, want %+v", i, reqs[i], want[i])
		}
	}
	dump := fmt.Sprintf("%+v", reqs)
	for _, secret := range []string{alicePass, tok.AccessToken, tok.RefreshToken} {
		if strings.Contains(dump, secret) {
			t.Errorf("got a secret in the recorded requests: %s", dump)
		}
	}
}
