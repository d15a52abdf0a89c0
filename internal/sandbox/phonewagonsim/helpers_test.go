package phonewagonsim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"switchboard/internal/sandbox/phonewagonsim"
)

// clock is an injectable, concurrency-safe test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

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

// now is a moment well after the default anchor.
var now = time.Date(2026, time.November, 21, 12, 0, 0, 0, time.UTC)

// Test accounts.
const (
	acmeID     = "acme-client"
	acmeSecret = "acme-secret"
	globexID   = "globex-client"
	globexKey  = "globex-secret"
)

// fixture is a simulator behind an httptest server.
type fixture struct {
	sim   *phonewagonsim.Server
	srv   *httptest.Server
	clock *clock
}

// newFixture starts a simulator with the two test accounts; tweak adjusts
// the config before New.
func newFixture(t *testing.T, tweak func(*phonewagonsim.Config)) *fixture {
	t.Helper()
	clk := newClock(now)
	cfg := phonewagonsim.Config{
		Accounts: []phonewagonsim.Account{
			{ClientID: acmeID, ClientSecret: acmeSecret, Seed: 1},
			{ClientID: globexID, ClientSecret: globexKey, Seed: 2},
		},
		Now: clk.Now,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	sim, err := phonewagonsim.New(cfg)
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

// get requests url (absolute, or a path below the server) with basic auth
// when id is not empty. Keep-alives are off so a reset is never retried.
func (f *fixture) get(t *testing.T, url, id, secret string) (response, error) {
	t.Helper()
	return do(context.Background(), http.MethodGet, f.abs(url), id, secret)
}

// mustGet is get that fails the test on a transport error.
func (f *fixture) mustGet(t *testing.T, url, id, secret string) response {
	t.Helper()
	resp, err := f.get(t, url, id, secret)
	if err != nil {
		t.Fatalf("GET %s: got error %v, want a response", url, err)
	}
	return resp
}

func (f *fixture) abs(url string) string {
	if len(url) > 0 && url[0] == '/' {
		return f.srv.URL + url
	}
	return url
}

func do(ctx context.Context, method, url, id, secret string) (response, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return response{}, err
	}
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: body}, err
}

// decode unmarshals a response body or fails the test.
func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %q: got error %v, want valid JSON", truncate(body), err)
	}
	return v
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// dataset returns an account's data or fails the test.
func (f *fixture) dataset(t *testing.T, id string) phonewagonsim.Dataset {
	t.Helper()
	d, ok := f.sim.Dataset(id)
	if !ok {
		t.Fatalf("Dataset(%q): got not found, want the account's data", id)
	}
	return d
}
