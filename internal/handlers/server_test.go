package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/action"
	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/metrics"
)

// testSecret is the HS256 key of the test gateway.
const testSecret = domain.Secret("test-secret-0123456789abcdef0123456789")

// fakeCallWidget serves fixed lookups, or err when set.
type fakeCallWidget struct {
	err   error
	calls int
	mu    sync.Mutex
}

func (f *fakeCallWidget) lookups() ([]domain.Lookup, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	name := "VIP"
	return []domain.Lookup{{ID: "1", Source: domain.SourceCallWidget, Name: &name, Label: &name}}, nil
}

func (f *fakeCallWidget) Installs(context.Context) ([]domain.Install, error) {
	phone := "+17866275049"
	return []domain.Install{{ID: "1", Source: domain.SourceCallWidget, Phone: &phone, Name: &phone, Label: &phone}}, f.err
}
func (f *fakeCallWidget) Departments(context.Context) ([]domain.Lookup, error) { return f.lookups() }
func (f *fakeCallWidget) Tags(context.Context) ([]domain.Lookup, error)        { return f.lookups() }
func (f *fakeCallWidget) Automations(context.Context) ([]domain.Lookup, error) { return f.lookups() }

// testGateway is a Server with a logger writing into a buffer.
type testGateway struct {
	*Server
	logs *syncBuffer
	cw   *fakeCallWidget
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newTestGateway(t *testing.T) *testGateway {
	t.Helper()
	v, err := auth.NewVerifier(auth.Config{HMACSecret: testSecret, CacheSize: -1})
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	logs := &syncBuffer{}
	cw := &fakeCallWidget{}
	s, err := New(Config{
		Logger:   slog.New(slog.NewJSONHandler(logs, nil)),
		Metrics:  metrics.New(),
		Verifier: v,
		Tenants: map[string]*Tenant{
			"acme": {ID: "acme", CallWidget: cw},
			"bare": {ID: "bare"},
		},
		OpenAPIYAML: []byte("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n"),
		CursorKey:   []byte(strings.Repeat("k", 32)),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &testGateway{Server: s, logs: logs, cw: cw}
}

// token mints a caller token for tenant with the given scopes, valid for an hour.
func token(t *testing.T, tenant string, scopes ...auth.Scope) string {
	t.Helper()
	now := time.Now()
	tok, err := auth.SignHS256(testSecret, auth.Claims{
		Subject: "test-app", Tenant: tenant, Audience: []string{"switchboard"},
		Scopes: scopes, IssuedAt: now, ExpiresAt: now.Add(time.Hour),
	})
	if err != nil {
		t.Fatalf("SignHS256: %v", err)
	}
	return tok
}

func (g *testGateway) do(t *testing.T, method, path, bearer string, body io.Reader, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, req)
	return rec
}

// decodeProblem asserts rec is a problem+json with status and slug, and returns it.
func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder, status int, slug domain.Code) Problem {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status: got %d, want %d (body %s)", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type: got %q, want application/problem+json", ct)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body: %v", err)
	}
	if want := "/problems/" + string(slug); p.Type != want {
		t.Fatalf("type: got %q, want %q", p.Type, want)
	}
	if p.Status != status {
		t.Fatalf("problem status: got %d, want %d", p.Status, status)
	}
	if p.RequestID == "" || p.RequestID != rec.Header().Get("X-Request-Id") {
		t.Fatalf("request_id: got %q, header %q; want equal and non-empty", p.RequestID, rec.Header().Get("X-Request-Id"))
	}
	return p
}

func TestUnknownRoutesAndMethodsAnswerProblems(t *testing.T) {
	g := newTestGateway(t)
	t.Run("an unknown path is a 404 problem", func(t *testing.T) {
		decodeProblem(t, g.do(t, "GET", "/nope", "", nil), 404, domain.CodeNotFound)
	})
	t.Run("an unknown /v1 path is a 404 problem", func(t *testing.T) {
		decodeProblem(t, g.do(t, "GET", "/v1/nope", token(t, "acme", auth.ScopeLookupsRead), nil), 404, domain.CodeNotFound)
	})
	t.Run("a wrong method is a 405 problem with Allow", func(t *testing.T) {
		for _, req := range []struct{ method, path string }{{"DELETE", "/healthz"}, {"POST", "/metrics"}, {"PUT", "/metrics"}} {
			rec := g.do(t, req.method, req.path, "", nil)
			decodeProblem(t, rec, 405, domain.CodeMethodNotAllowed)
			if got := rec.Header().Get("Allow"); got != "GET, HEAD" {
				t.Errorf("%s %s: Allow: got %q, want %q", req.method, req.path, got, "GET, HEAD")
			}
		}
	})
}

func TestPanicAnswersInternalProblemAndLogsTheStack(t *testing.T) {
	g := newTestGateway(t)
	h := withRequestID(g.instrument(g.logger, g.metrics)(recoverer(g.logger)(http.HandlerFunc(
		func(http.ResponseWriter, *http.Request) { panic("boom at a secret place") }))))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	p := decodeProblem(t, rec, 500, domain.CodeInternal)
	if strings.Contains(rec.Body.String(), "boom") {
		t.Errorf("body leaks the panic value: %s", rec.Body)
	}
	if p.Detail == "" {
		t.Error("detail: got empty, want a generic message")
	}
	logs := g.logs.String()
	if !strings.Contains(logs, "boom at a secret place") || !strings.Contains(logs, "goroutine") {
		t.Errorf("log: got %q, want the panic value and a stack", logs)
	}
}

func TestRequestIDIsHonouredWhenSaneAndReplacedOtherwise(t *testing.T) {
	g := newTestGateway(t)
	tests := []struct {
		name   string
		sent   string
		echoed bool
	}{
		{"a sane id is echoed", "req-123.abc:XYZ_9", true},
		{"an id with a space is replaced", "a b", false},
		{"an id with a newline is replaced", "a\nInjected: yes", false},
		{"an id over 128 characters is replaced", strings.Repeat("a", 129), false},
		{"no id gets a generated one", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/healthz", nil)
			if tt.sent != "" {
				req.Header["X-Request-Id"] = []string{tt.sent}
			}
			rec := httptest.NewRecorder()
			g.ServeHTTP(rec, req)
			got := rec.Header().Get("X-Request-Id")
			if tt.echoed && got != tt.sent {
				t.Errorf("X-Request-Id: got %q, want %q", got, tt.sent)
			}
			if !tt.echoed && (got == tt.sent || len(got) != 32) {
				t.Errorf("X-Request-Id: got %q, want a fresh 32-character id", got)
			}
		})
	}
}

func TestBodyOver64KiBIsRefused(t *testing.T) {
	g := newTestGateway(t)
	body := bytes.NewReader(make([]byte, domain.MaxBodyBytes+1))
	decodeProblem(t, g.do(t, "POST", "/v1/tags", "", body), 413, domain.CodePayloadTooLarge)
}

func TestAccessLogLineHasRequestFields(t *testing.T) {
	g := newTestGateway(t)
	rec := g.do(t, "GET", "/v1/tags", token(t, "acme", auth.ScopeLookupsRead), nil, "X-Request-Id", "log-check-1")
	if rec.Code != 200 {
		t.Fatalf("status: got %d, want 200", rec.Code)
	}
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(g.logs.String()), "\n") {
		if strings.Contains(l, `"msg":"request"`) {
			_ = json.Unmarshal([]byte(l), &line)
		}
	}
	want := map[string]any{"request_id": "log-check-1", "route": "/v1/tags", "status": float64(200), "tenant": "acme", "subject": "test-app"}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("log field %s: got %v, want %v", k, line[k], v)
		}
	}
	if _, ok := line["latency_ms"]; !ok {
		t.Error("log line has no latency_ms")
	}
}

func (f *fakeCallWidget) Perform(context.Context, action.Kind, *action.Request, string) (domain.ActionResult, error) {
	return domain.ActionResult{Source: domain.SourceCallWidget}, f.err
}
