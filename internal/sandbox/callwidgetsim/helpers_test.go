package callwidgetsim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"switchboard/internal/sandbox/callwidgetsim"
)

// clock is an injectable, concurrency-safe test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// now has a non-zero microsecond part so created_at shows it.
var now = time.Date(2026, time.November, 21, 9, 20, 8, 530429000, time.UTC)

// Test users.
const (
	aliceEmail = "alice@acme.example"
	alicePass  = "alice-password"
	bobEmail   = "bob@globex.example"
	bobPass    = "bob-password"
)

// fixture is a simulator behind an httptest server.
type fixture struct {
	sim   *callwidgetsim.Server
	srv   *httptest.Server
	clock *clock
}

func newFixture(t *testing.T, tweak func(*callwidgetsim.Config)) *fixture {
	t.Helper()
	clk := &clock{t: now}
	cfg := callwidgetsim.Config{
		Users: []callwidgetsim.User{
			{Email: aliceEmail, Password: alicePass, Seed: 1},
			{Email: bobEmail, Password: bobPass, Seed: 2},
		},
		Now: clk.Now,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	sim, err := callwidgetsim.New(cfg)
	if err != nil {
		t.Fatalf("New: got error %v, want nil", err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &fixture{sim: sim, srv: srv, clock: clk}
}

// response is what a request got back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends method to path below /api/v1 with an optional bearer token and
// raw body. Keep-alives are off so a reset connection is never retried.
func (f *fixture) do(ctx context.Context, method, path, token, body string) (response, error) {
	var rd io.Reader
	if body != "" {
		rd = bytes.NewBufferString(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, f.srv.URL+"/api/v1"+path, rd)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}, err
}

// mustDo is do that fails the test on a transport error.
func (f *fixture) mustDo(t *testing.T, method, path, token, body string) response {
	t.Helper()
	resp, err := f.do(context.Background(), method, path, token, body)
	if err != nil {
		t.Fatalf("%s %s: got error %v, want a response", method, path, err)
	}
	return resp
}

// tokens is a decoded login or refresh answer.
type tokens struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// login logs email in or fails the test.
func (f *fixture) login(t *testing.T, email, password string) tokens {
	t.Helper()
	resp := f.mustDo(t, http.MethodPost, "/api-login", "", jsonOf(t, map[string]string{"email": email, "password": password}))
	if resp.status != http.StatusOK {
		t.Fatalf("login %s: got %d %s, want 200", email, resp.status, resp.body)
	}
	return decode[tokens](t, resp.body)
}

// refresh trades a refresh token and returns the raw response.
func (f *fixture) refresh(t *testing.T, refreshToken string) response {
	t.Helper()
	return f.mustDo(t, http.MethodPost, "/refresh-token", "", jsonOf(t, map[string]string{"refresh_token": refreshToken}))
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

// decode unmarshals a response body or fails the test.
func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %q: got error %v, want valid JSON", body, err)
	}
	return v
}

// dataset returns a user's lookups or fails the test.
func (f *fixture) dataset(t *testing.T, email string) callwidgetsim.Dataset {
	t.Helper()
	d, ok := f.sim.Dataset(email)
	if !ok {
		t.Fatalf("Dataset(%q): got not found, want the user's lookups", email)
	}
	return d
}
