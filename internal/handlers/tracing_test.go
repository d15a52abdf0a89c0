package handlers

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/metrics"
	"switchboard/internal/telemetry"
)

// newTracedGateway is newTestGateway with tracing into exp.
func newTracedGateway(t *testing.T, exp *tracetest.InMemoryExporter) *testGateway {
	t.Helper()
	v, err := auth.NewVerifier(auth.Config{HMACSecret: testSecret, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cw := &fakeCallWidget{}
	s, err := New(Config{
		Logger:      slog.New(slog.NewJSONHandler(logs, nil)),
		Metrics:     metrics.New(),
		Verifier:    v,
		Tenants:     map[string]*Tenant{"acme": {ID: "acme", CallWidget: cw}},
		OpenAPIYAML: []byte("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n"),
		CursorKey:   []byte(strings.Repeat("k", 32)),
		Tracing:     telemetry.New(exp),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &testGateway{Server: s, logs: logs, cw: cw}
}

func TestServerSpans(t *testing.T) {
	tok := token(t, "acme", auth.ScopeLookupsRead)
	tests := []struct {
		name, method, path, bearer string
		upstreamErr                error
		wantName, wantStatus       string
		wantTenant                 string
		wantError                  bool
	}{
		{"an authenticated request names its route and tenant", http.MethodGet, "/v1/tags?name=%2B17866275049", tok, nil,
			"GET /v1/tags", "200", "acme", false},
		{"an upstream failure marks the span as an error", http.MethodGet, "/v1/departments", tok,
			domain.Errorf(domain.CodeUpstreamUnavailable, "down"), "GET /v1/departments", "503", "acme", true},
		{"a made-up method is not echoed", "BREW", "/healthz", "", nil, "_OTHER unmatched", "405", "", false},
		{"an unknown path is named unmatched, not by its path", http.MethodGet, "/+17866275049", "", nil,
			"GET unmatched", "404", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp := tracetest.NewInMemoryExporter()
			g := newTracedGateway(t, exp)
			g.cw.err = tt.upstreamErr
			g.do(t, tt.method, tt.path, tt.bearer, nil)
			spans := exp.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("got %d spans, want 1", len(spans))
			}
			s := spans[0]
			attrs := map[string]string{}
			for _, kv := range s.Attributes {
				attrs[string(kv.Key)] = kv.Value.Emit()
			}
			if s.Name != tt.wantName {
				t.Errorf("got name %q, want %q", s.Name, tt.wantName)
			}
			if attrs["http.response.status_code"] != tt.wantStatus {
				t.Errorf("got status %q, want %q", attrs["http.response.status_code"], tt.wantStatus)
			}
			if attrs["switchboard.tenant"] != tt.wantTenant {
				t.Errorf("got tenant %q, want %q", attrs["switchboard.tenant"], tt.wantTenant)
			}
			if got := s.Status.Code == codes.Error; got != tt.wantError {
				t.Errorf("got error status %v, want %v", got, tt.wantError)
			}
			for k, v := range attrs {
				if strings.Contains(v, "17866275049") || strings.Contains(v, "BREW") {
					t.Errorf("attribute %s=%q echoes the caller's input", k, v)
				}
			}
			if !strings.Contains(g.logs.String(), `"trace_id":"`+s.SpanContext.TraceID().String()+`"`) {
				t.Errorf("the access log lacks the span's trace id:\n%s", g.logs)
			}
		})
	}
}
