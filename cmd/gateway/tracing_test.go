package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"switchboard/internal/auth"
	"switchboard/internal/telemetry"
)

// captureSpans makes the next gateways started trace into memory, through
// the same scrubbing exporter the OTLP exporter sits behind.
func captureSpans(t *testing.T) *tracetest.InMemoryExporter {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	prev := newTracing
	newTracing = func(context.Context, func(string) string, *slog.Logger) (*telemetry.Tracing, error) {
		return telemetry.New(exp), nil
	}
	t.Cleanup(func() { newTracing = prev })
	return exp
}

// dumpSpans renders every exported span — name, attributes, events and
// status — for the canary checks.
func dumpSpans(spans tracetest.SpanStubs) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "%s|%s|%s\n", s.Name, s.Status.Description, attrString(s.Attributes))
		for _, ev := range s.Events {
			fmt.Fprintf(&b, "  %s %s\n", ev.Name, attrString(ev.Attributes))
		}
	}
	return b.String()
}

func attrString(kvs []attribute.KeyValue) string {
	parts := make([]string, len(kvs))
	for i, kv := range kvs {
		parts[i] = string(kv.Key) + "=" + kv.Value.Emit()
	}
	return strings.Join(parts, " ")
}

// attr returns the value of key in kvs, "" when absent.
func attr(kvs []attribute.KeyValue, key string) string {
	for _, kv := range kvs {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

func TestTracesContinueTheCallersTraceAndNameTheirUpstreamCalls(t *testing.T) {
	exp := captureSpans(t)
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	tok := token(t, "acme", auth.ScopeCampaignsRead)

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	const parentID = "00f067aa0ba902b7"
	resp, body := g.get(t, "/v1/companies", tok, "traceparent", "00-"+traceID+"-"+parentID+"-01")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got status %d, want 200; body %s", resp.StatusCode, body)
	}

	spans := exp.GetSpans()
	var server, client *tracetest.SpanStub
	for i := range spans {
		switch spans[i].SpanKind {
		case trace.SpanKindServer:
			server = &spans[i]
		case trace.SpanKindClient:
			client = &spans[i]
		}
	}
	if server == nil || client == nil {
		t.Fatalf("got spans %s, want a server and a client span", dumpSpans(spans))
	}
	checks := []struct{ name, got, want string }{
		{"server span trace id", server.SpanContext.TraceID().String(), traceID},
		{"server span parent", server.Parent.SpanID().String(), parentID},
		{"server span name", server.Name, "GET /v1/companies"},
		{"server span route", attr(server.Attributes, "http.route"), "/v1/companies"},
		{"server span status", attr(server.Attributes, "http.response.status_code"), "200"},
		{"server span tenant", attr(server.Attributes, "switchboard.tenant"), "acme"},
		{"client span parent", client.Parent.SpanID().String(), server.SpanContext.SpanID().String()},
		{"client span name", client.Name, "phonewagon companies"},
		{"client span upstream", attr(client.Attributes, "switchboard.upstream"), "phonewagon"},
		{"client span operation", attr(client.Attributes, "switchboard.upstream.operation"), "companies"},
		{"client span status", attr(client.Attributes, "http.response.status_code"), "200"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}

	found := false
	for _, l := range strings.Split(g.Logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(l), &rec) != nil || rec["msg"] != "request" || rec["route"] != "/v1/companies" {
			continue
		}
		found = true
		if rec["trace_id"] != traceID {
			t.Errorf("access log trace_id: got %v, want %s", rec["trace_id"], traceID)
		}
	}
	if !found {
		t.Fatalf("no access log line for /v1/companies:\n%s", g.Logs)
	}
}

func TestTracingIsOffWithoutAnEndpoint(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	env["OTEL_SERVICE_NAME"] = "switchboard-test" // a name alone does not turn tracing on
	g := startGateway(t, env)
	tok := token(t, "acme", auth.ScopeCampaignsRead)
	g.get(t, "/v1/companies", tok, "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	if strings.Contains(g.Logs.String(), "trace_id") {
		t.Errorf("got a trace_id in the log with tracing off:\n%s", g.Logs)
	}
}
