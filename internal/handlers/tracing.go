package handlers

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5/middleware"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"switchboard/internal/telemetry"
)

// tracerName names the instrumentation scope of the server spans.
const tracerName = "switchboard/internal/handlers"

// knownMethods keeps a caller's made-up method out of span names.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// serverSpan opens one server span per request, continuing the caller's
// trace when a valid W3C traceparent is sent. Once the router has matched,
// the span is named "METHOD route-template" and carries the route and the
// status; authenticate adds the tenant. Nothing caller-typed (path, query,
// headers) becomes an attribute: the route template stands for the path.
func serverSpan(t *telemetry.Tracing) func(http.Handler) http.Handler {
	tracer := t.Tracer(tracerName)
	prop := t.Propagator()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			method := r.Method
			if !knownMethods[method] {
				method = "_OTHER"
			}
			ctx := prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
			ctx, span := tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.String("http.request.method", method)))
			defer span.End()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r.WithContext(ctx))

			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			route := routePattern(r)
			span.SetName(method + " " + route)
			span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", status))
			if status >= http.StatusInternalServerError {
				span.SetStatus(codes.Error, http.StatusText(status))
			}
		})
	}
}

// tagSpanTenant records the authenticated tenant on the request's server
// span; a no-op (and no allocation) when tracing is off.
func tagSpanTenant(ctx context.Context, tenant string) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(telemetry.AttrTenant.String(tenant))
	}
}
