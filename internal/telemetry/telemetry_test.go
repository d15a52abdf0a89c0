package telemetry

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestFromEnvTurnsTracingOnOnlyWithAnEndpoint(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"no variable leaves tracing off", nil, false},
		{"a service name alone leaves tracing off", map[string]string{"OTEL_SERVICE_NAME": "gw"}, false},
		{"the OTLP endpoint turns tracing on", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, true},
		{"the traces endpoint turns tracing on", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, true},
		{"OTEL_SDK_DISABLED wins over an endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"}, false},
		{"OTEL_TRACES_EXPORTER=none wins over an endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_TRACES_EXPORTER": "none"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := FromEnv(context.Background(), func(k string) string { return tt.env[k] }, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatalf("FromEnv: %v", err)
			}
			defer tr.Shutdown(context.Background())
			if got := tr.Enabled(); got != tt.want {
				t.Errorf("got enabled %v, want %v", got, tt.want)
			}
			base := http.DefaultTransport
			if wrapped := tr.Transport(base) != base; wrapped != tt.want {
				t.Errorf("got transport wrapped %v, want %v", wrapped, tt.want)
			}
		})
	}
}

func TestFromEnvRefusesGRPC(t *testing.T) {
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
	if _, err := FromEnv(context.Background(), func(k string) string { return env[k] }, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("got no error for grpc, want one naming OTEL_EXPORTER_OTLP_PROTOCOL")
	}
}

func TestOperationOf(t *testing.T) {
	tests := []struct{ path, upstream, op string }{
		{"/api/v1/share/new-sms", "callwidget", "new-sms"},
		{"/api/v1/share/new-sms-call", "callwidget", "new-sms-call"},
		{"/api/v1/api-login", "callwidget", "login"},
		{"/calls", "phonewagon", "calls"},
		{"/base/companies/", "phonewagon", "companies"},
		{"/share/+17862455063", "unknown", "other"},
		{"/", "unknown", "other"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://up"+tt.path, nil)
			if up, op := operationOf(r); up != tt.upstream || op != tt.op {
				t.Errorf("got %s %s, want %s %s", up, op, tt.upstream, tt.op)
			}
		})
	}
}

func TestUpstreamSpansAreScrubbedAndSendNoTraceContext(t *testing.T) {
	var gotTraceparent string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotTraceparent = r.Header.Get("traceparent")
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	exp := tracetest.NewInMemoryExporter()
	tr := New(exp)
	ctx, parent := tr.Tracer("test").Start(context.Background(), "parent")
	client := &http.Client{Transport: tr.Transport(http.DefaultTransport)}
	u := strings.Replace(srv.URL, "http://", "http://user:pa55word@", 1) + "/api/v1/share/new-sms?phone=%2B17862455063&token=s3cret"
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader("{}"))
	req.Header.Set("User-Agent", "agent +17862455063")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	parent.End()

	if gotTraceparent != "" {
		t.Errorf("got traceparent %q sent upstream, want none", gotTraceparent)
	}
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want the client span and its parent", len(spans))
	}
	c := spans[0]
	if c.Name != "callwidget new-sms" {
		t.Errorf("got span name %q, want %q", c.Name, "callwidget new-sms")
	}
	want := map[string]string{
		"switchboard.upstream":           "callwidget",
		"switchboard.upstream.operation": "new-sms",
		"http.response.status_code":      "202",
		"url.full":                       srv.URL + "/api/v1/share/new-sms",
	}
	for k, v := range want {
		if got := value(c.Attributes, k); got != v {
			t.Errorf("%s: got %q, want %q", k, got, v)
		}
	}
	for _, kv := range c.Attributes {
		for _, leak := range []string{"pa55word", "s3cret", "7862455063", "agent"} {
			if strings.Contains(kv.Value.Emit(), leak) {
				t.Errorf("attribute %s=%s carries %q", kv.Key, kv.Value.Emit(), leak)
			}
		}
	}
}

func TestScrubMasksDigitsAndDropsUnlistedAttributes(t *testing.T) {
	got := scrubAttrs([]attribute.KeyValue{
		attribute.String("user_agent.original", "curl"),
		attribute.String("url.query", "phone=1"),
		attribute.String("error.type", "call to +1 (786) 245-5063 failed"),
		attribute.String("server.address", "10.0.0.12"),
		attribute.String("http.route", "/v1/automations/{id}/enrollments"),
		attribute.Int("http.response.status_code", 502),
	})
	want := "error.type=call to [digits] failed server.address=10.0.0.12 http.route=/v1/automations/{id}/enrollments http.response.status_code=502"
	var parts []string
	for _, kv := range got {
		parts = append(parts, string(kv.Key)+"="+kv.Value.Emit())
	}
	if g := strings.Join(parts, " "); g != want {
		t.Errorf("got %q, want %q", g, want)
	}
}

func value(kvs []attribute.KeyValue, key string) string {
	for _, kv := range kvs {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}
