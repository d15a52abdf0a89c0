package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"switchboard/internal/redistest"
	"testing"
	"time"

	"github.com/go-chi/httprate"
	"github.com/redis/go-redis/v9"

	"switchboard/internal/auth"
	"switchboard/internal/cache"
	"switchboard/internal/domain"
	"switchboard/internal/metrics"
	"switchboard/internal/ratelimit"
	"switchboard/internal/sandbox/phonewagonsim"
	"switchboard/internal/upstream/phonewagon"
)

// BenchmarkCacheHit measures one whole GET /v1/calls?limit=5 answered from
// the cache, through the router and every middleware as in production: the
// request id, the access log (JSON, at info, into io.Discard), the metrics,
// token verification (with its cache), the inbound limit and the cache.
//
// The request is built once and the writer reused, so allocs/op counts the
// gateway's allocations, not the recorder's; net/http adds its own per
// request in a real server.
func BenchmarkCacheHit(b *testing.B) {
	stores := []struct {
		name  string
		setup func(b *testing.B) (*cache.Cache, httprate.LimitCounter)
	}{
		{"memory", func(b *testing.B) (*cache.Cache, httprate.LimitCounter) {
			return mustCache(b, cache.Config{}), nil
		}},
		{"redis", func(b *testing.B) (*cache.Cache, httprate.LimitCounter) {
			rdb, prefix := benchRedis(b)
			return mustCache(b, cache.Config{Backend: cache.NewRedisBackend(rdb, prefix+"cache:")}), redisCounter(b, rdb, prefix)
		}},
		{"redis with a 1s first level", func(b *testing.B) (*cache.Cache, httprate.LimitCounter) {
			rdb, prefix := benchRedis(b)
			c := mustCache(b, cache.Config{Backend: cache.NewRedisBackend(rdb, prefix+"cache:"), L1TTL: time.Second})
			return c, redisCounter(b, rdb, prefix)
		}},
	}
	calls := benchCalls(b, 5)
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			c, counter := st.setup(b)
			s := newBenchServer(b, c, counter, calls)
			req := httptest.NewRequest(http.MethodGet, "/v1/calls?limit=5", nil)
			req.Header.Set("Authorization", "Bearer "+benchToken(b))
			w := newBenchWriter()
			s.ServeHTTP(w, req) // the miss that fills the cache
			if w.status != http.StatusOK {
				b.Fatalf("warming request: got status %d, want 200", w.status)
			}
			b.ReportAllocs()
			for b.Loop() {
				w.reset()
				s.ServeHTTP(w, req)
			}
			if got := w.header.Get("X-Cache"); w.status != http.StatusOK || got != string(cache.StatusHit) {
				b.Fatalf("got status %d X-Cache %q, want 200 HIT", w.status, got)
			}
		})
	}
}

// BenchmarkWriteProblem measures the problem writer: a validation error
// (not logged) and an upstream failure (logged at error level).
func BenchmarkWriteProblem(b *testing.B) {
	problems := []struct {
		name string
		err  error
	}{
		{"validation", domain.ValidationError(domain.FieldError{Field: "limit", Message: "must be between 1 and 1000"})},
		{"upstream unavailable", &domain.Error{Code: domain.CodeUpstreamUnavailable, Message: "Phonewagon is unavailable", RetryAfter: 5 * time.Second}},
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	req := httptest.NewRequest(http.MethodGet, "/v1/calls?limit=0", nil)
	req = req.WithContext(context.WithValue(req.Context(), requestIDKey{}, newRequestID()))
	for _, p := range problems {
		b.Run(p.name, func(b *testing.B) {
			w := newBenchWriter()
			b.ReportAllocs()
			for b.Loop() {
				w.reset()
				writeProblem(w, req, logger, p.err)
			}
			if w.status < 400 {
				b.Fatalf("got status %d, want an error status", w.status)
			}
		})
	}
}

// benchWriter is a ResponseWriter that keeps the status and headers and
// discards the body; reset reuses its header map.
type benchWriter struct {
	header http.Header
	status int
}

func newBenchWriter() *benchWriter { return &benchWriter{header: make(http.Header)} }

func (w *benchWriter) Header() http.Header { return w.header }

func (w *benchWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(p), nil
}

func (w *benchWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *benchWriter) reset() {
	clear(w.header)
	w.status = 0
}

// benchPhonewagon serves a fixed page of calls.
type benchPhonewagon struct{ calls []domain.Call }

func (f benchPhonewagon) Companies(context.Context) ([]domain.Company, error) { return nil, nil }

func (f benchPhonewagon) Campaigns(context.Context, string) ([]domain.Campaign, error) {
	return nil, nil
}

func (f benchPhonewagon) Calls(_ context.Context, q domain.CallsQuery) (domain.CallsPage, error) {
	page := f.calls[:min(q.PageSize, len(f.calls))]
	next := q
	next.End = *page[len(page)-1].StartedAt
	next.Skip = []string{page[len(page)-1].ID}
	return domain.CallsPage{Calls: page, Next: &next}, nil
}

// newBenchServer builds the gateway as main wires it, with one tenant whose
// inbound limit never trips during a benchmark.
func newBenchServer(b *testing.B, c *cache.Cache, counter httprate.LimitCounter, calls []domain.Call) *Server {
	b.Helper()
	v, err := auth.NewVerifier(auth.Config{HMACSecret: testSecret})
	if err != nil {
		b.Fatalf("NewVerifier: %v", err)
	}
	s, err := New(Config{
		Logger:   slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics:  metrics.New(),
		Verifier: v,
		Tenants: map[string]*Tenant{"acme": {
			ID:                 "acme",
			PhonewagonAccount:  "https://dev.phonewagon.com|acme-client",
			RateLimitPerMinute: 1 << 30,
			Phonewagon:         benchPhonewagon{calls: calls},
		}},
		OpenAPIYAML:  []byte("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n"),
		CursorKey:    []byte(strings.Repeat("k", 32)),
		Cache:        c,
		LimitCounter: counter,
	})
	if err != nil {
		b.Fatalf("New: %v", err)
	}
	return s
}

// benchToken is a calls:read token of tenant acme, valid for an hour.
func benchToken(b *testing.B) string {
	b.Helper()
	now := time.Now()
	tok, err := auth.SignHS256(testSecret, auth.Claims{
		Subject: "bench-app", Tenant: "acme", Audience: []string{"switchboard"},
		Scopes: []auth.Scope{auth.ScopeCallsRead}, IssuedAt: now, ExpiresAt: now.Add(time.Hour),
	})
	if err != nil {
		b.Fatalf("SignHS256: %v", err)
	}
	return tok
}

// benchCalls returns n calls as the Phonewagon client normalizes them from
// the simulator's records, so the cached body has production's shape.
func benchCalls(b *testing.B, n int) []domain.Call {
	b.Helper()
	sim, err := phonewagonsim.New(phonewagonsim.Config{
		Accounts: []phonewagonsim.Account{{ClientID: "bench", ClientSecret: "bench-secret", Seed: 1}},
		Anchor:   time.Now().Add(-time.Hour),
	})
	if err != nil {
		b.Fatalf("phonewagonsim: %v", err)
	}
	srv := httptest.NewServer(sim)
	defer srv.Close()
	pw, err := phonewagon.New(phonewagon.Config{BaseURL: srv.URL, ClientID: "bench", ClientSecret: "bench-secret"})
	if err != nil {
		b.Fatalf("phonewagon: %v", err)
	}
	page, _, err := pw.Calls(context.Background(), domain.CallsQuery{PageSize: n})
	if err != nil || len(page.Calls) != n {
		b.Fatalf("got %d calls, %v; want %d", len(page.Calls), err, n)
	}
	return page.Calls
}

func mustCache(b *testing.B, cfg cache.Config) *cache.Cache {
	b.Helper()
	c, err := cache.New(cfg)
	if err != nil {
		b.Fatalf("cache.New: %v", err)
	}
	return c
}

// redisCounter is the inbound counter main wires with Redis.
func redisCounter(b *testing.B, rdb *redis.Client, prefix string) httprate.LimitCounter {
	b.Helper()
	c, err := ratelimit.NewFallbackLimitCounter(ratelimit.FallbackCounterConfig{
		Shared: ratelimit.NewRedisLimitCounter(rdb, prefix+"inbound:"),
	})
	if err != nil {
		b.Fatalf("NewFallbackLimitCounter: %v", err)
	}
	return c
}

// benchRedis is the test Redis under a prefix of the benchmark's own.
func benchRedis(b *testing.B) (*redis.Client, string) {
	b.Helper()
	return redistest.Open(b)
}
