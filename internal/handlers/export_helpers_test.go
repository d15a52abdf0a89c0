package handlers

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/metrics"
	"switchboard/internal/sandbox/phonewagonsim"
	"switchboard/internal/upstream/phonewagon"
)

// fakeClock is a clock whose Sleep moves time on at once, so a test can
// wait out a budget window without waiting.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

// clientService serves the handlers' Phonewagon interface with the real
// client, as main's adapter does minus the circuit breaker.
type clientService struct{ c *phonewagon.Client }

func (s clientService) Companies(ctx context.Context) ([]domain.Company, error) {
	v, _, err := s.c.Companies(ctx)
	return v, err
}

func (s clientService) Campaigns(ctx context.Context, companyID string) ([]domain.Campaign, error) {
	v, _, err := s.c.Campaigns(ctx, companyID)
	return v, err
}

func (s clientService) Calls(ctx context.Context, q domain.CallsQuery) (domain.CallsPage, error) {
	page, _, err := s.c.Calls(ctx, q)
	return page, err
}

// simGateway is a Server in front of the Phonewagon simulator, reached over
// a real listener so that streaming and aborts behave as in production.
type simGateway struct {
	url  string
	sim  *phonewagonsim.Server
	data phonewagonsim.Dataset
	srv  *Server
}

// simOptions shape a simGateway; zero fields mean: 60 calls, no budget, a
// simulator rate the test cannot reach, production's export page size.
type simOptions struct {
	calls    int
	budget   phonewagon.Budget
	clock    *fakeClock
	simRate  int
	pageSize int
	mirror   CallMirror // the tenant's mirror; nil: none
}

func newSimGateway(t *testing.T, o simOptions) *simGateway {
	t.Helper()
	cfg := phonewagonsim.Config{
		Accounts:      []phonewagonsim.Account{{ClientID: "acme-client", ClientSecret: "acme-secret", Seed: 7, Calls: cmp.Or(o.calls, 60)}},
		RatePerMinute: cmp.Or(o.simRate, 100_000),
	}
	if o.clock != nil {
		cfg.Now = o.clock.Now
	}
	sim, err := phonewagonsim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	simSrv := httptest.NewServer(sim)
	t.Cleanup(simSrv.Close)
	client, err := phonewagon.New(phonewagon.Config{BaseURL: simSrv.URL, ClientID: "acme-client",
		ClientSecret: "acme-secret", Budget: o.budget})
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{HMACSecret: testSecret, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{
		Logger:   slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics:  metrics.New(),
		Verifier: v,
		Tenants: map[string]*Tenant{"acme": {ID: "acme", PhonewagonAccount: "acme-client",
			RateLimitPerMinute: 100_000, Phonewagon: clientService{c: client}, Mirror: o.mirror}},
		OpenAPIYAML: []byte("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n"),
		CursorKey:   []byte(strings.Repeat("k", 32)),
	})
	if err != nil {
		t.Fatal(err)
	}
	s.exportTuning = exportTuning{pageSize: o.pageSize}
	if o.clock != nil {
		s.exportTuning.sleep = o.clock.Sleep
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	data, _ := sim.Dataset("acme-client")
	return &simGateway{url: srv.URL, sim: sim, data: data, srv: s}
}

// send makes a request with a calls:read token and returns the response
// with its body read whole.
func (g *simGateway) send(t *testing.T, method, path string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, g.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token(t, "acme", auth.ScopeCallsRead))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp, string(body)
}

// wantIDs are the simulator's call ids in the order it serves them.
func (g *simGateway) wantIDs() []string {
	out := make([]string, len(g.data.Calls))
	for i, c := range g.data.Calls {
		out[i] = strconv.FormatInt(c.ID, 10)
	}
	return out
}

// cutsBursts reports whether pages of size n end inside a second that
// holds more calls: the data can show a lost call at that size.
func (g *simGateway) cutsBursts(n int) bool {
	c := g.data.Calls
	for i := n - 1; i+1 < len(c); i += n {
		if c[i].StartTime == c[i+1].StartTime {
			return true
		}
	}
	return false
}
