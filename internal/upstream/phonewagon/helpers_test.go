package phonewagon

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/domain"
)

const (
	testClientID = "acme-client"
	testSecret   = domain.Secret("s3cr3t-pw")
	// baseURLPath is where the fake upstream mounts the API, so that every
	// test also proves the client keeps the base URL's path.
	baseURLPath = "/api-v1"
)

// fixture is a client wired to an httptest server whose mux serves the API
// below baseURLPath and counts every request that reaches it.
type fixture struct {
	client *Client
	mux    *http.ServeMux
	server *httptest.Server
	hits   atomic.Int64
}

// setup starts the fake upstream and a client for it; mod may adjust the
// client's Config before New.
func setup(t *testing.T, mod func(*Config)) *fixture {
	t.Helper()
	f := &fixture{mux: http.NewServeMux()}
	api := http.NewServeMux()
	api.Handle(baseURLPath+"/", http.StripPrefix(baseURLPath, f.mux))
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside the base path: %s %s", r.Method, r.URL.Path)
		http.Error(w, "outside the base path", http.StatusBadRequest)
	})
	f.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(f.server.Close)

	cfg := Config{
		BaseURL:      f.server.URL + baseURLPath + "/",
		ClientID:     testClientID,
		ClientSecret: testSecret,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.client = c
	return f
}

// counter is a second listener that must never be reached.
func counter(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`{"calls":[]}`))
	}))
	t.Cleanup(s.Close)
	return s, &hits
}

// testRequest asserts method, basic auth and the exact query of r.
func testRequest(t *testing.T, r *http.Request, want url.Values) {
	t.Helper()
	if r.Method != http.MethodGet {
		t.Errorf("got method %s, want GET", r.Method)
	}
	id, secret, ok := r.BasicAuth()
	if !ok || id != testClientID || secret != testSecret.Reveal() {
		t.Errorf("got basic auth %q/%q (present %v), want %q and the client secret", id, secret, ok, testClientID)
	}
	if got := r.URL.Query(); got.Encode() != want.Encode() {
		t.Errorf("got query %q, want %q", got.Encode(), want.Encode())
	}
}

// reply returns a handler that asserts the query and writes body as JSON.
func reply(t *testing.T, want url.Values, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		testRequest(t, r, want)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}
}

// fakeBudget records what the client asks of it.
type fakeBudget struct {
	waitErr error

	mu     sync.Mutex
	waits  int
	pauses []time.Duration
}

func (b *fakeBudget) Wait(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.waits++
	return b.waitErr
}

func (b *fakeBudget) Pause(_ context.Context, d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pauses = append(b.pauses, d)
}

func (b *fakeBudget) counts() (int, []time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waits, append([]time.Duration(nil), b.pauses...)
}

// checkNoSecret fails when err's text reveals the client secret.
func checkNoSecret(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), testSecret.Reveal()) {
		t.Errorf("error %q reveals the client secret", err)
	}
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func ptr[T any](v T) *T { return &v }
