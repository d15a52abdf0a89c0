package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"go.opentelemetry.io/otel/trace"

	"switchboard/internal/metrics"
	"switchboard/internal/upstream/upstreamhttp"
)

// requestInfo collects what inner layers learn about a request (who called,
// what the upstream cost) for the access log line written by the outer one.
type requestInfo struct {
	tenant   string
	subject  string
	cache    string
	upstream upstreamhttp.Timings
}

type requestInfoKey struct{}

// infoFrom returns the request's mutable info record; a detached one when the
// request did not pass through instrument (unit tests of single handlers).
func infoFrom(ctx context.Context) *requestInfo {
	if ri, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{}
}

// instrument writes one JSON access-log line and records the request metrics
// for every request. The line carries the upstream requests made for the
// request (count, summed time to headers, and the first few of them), as
// recorded by the upstream transport (upstreamhttp.Timed). It logs the path without the query string: queries may
// carry caller data, and the route pattern is what dashboards group by.
func instrument(logger *slog.Logger, m *metrics.Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ri := &requestInfo{}
			ctx := upstreamhttp.WithTimings(context.WithValue(r.Context(), requestInfoKey{}, ri), &ri.upstream)
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r.WithContext(ctx))

			elapsed := time.Since(start)
			status := ww.Status()
			if status == 0 {
				status = http.StatusOK
			}
			route := routePattern(r)
			m.HTTPRequests.WithLabelValues(route, strconv.Itoa(status), ri.tenant).Inc()
			m.HTTPDuration.WithLabelValues(route).Observe(elapsed.Seconds())

			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelWarn
			}
			attrs := make([]slog.Attr, 0, 14)
			attrs = append(attrs,
				slog.String("request_id", RequestID(r.Context())),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Int("bytes", ww.BytesWritten()),
				slog.Float64("latency_ms", float64(elapsed.Microseconds())/1000),
			)
			if ri.tenant != "" {
				attrs = append(attrs, slog.String("tenant", ri.tenant), slog.String("subject", ri.subject))
			}
			if ri.cache != "" {
				attrs = append(attrs, slog.String("cache", ri.cache))
			}
			if sc := trace.SpanContextFromContext(r.Context()); sc.IsValid() {
				attrs = append(attrs, slog.String("trace_id", sc.TraceID().String()))
			}
			if n, total, calls := ri.upstream.Snapshot(); n > 0 {
				attrs = append(attrs,
					slog.Int("upstream_requests", n),
					slog.Float64("upstream_ms", float64(total.Microseconds())/1000),
					slog.Any("upstream", calls))
			}
			// Straight to the handler: LogAttrs would record the caller's
			// program counter (runtime.Callers) on every request for a source
			// position the JSON handler is not asked to print.
			if h := logger.Handler(); h.Enabled(r.Context(), level) {
				rec := slog.NewRecord(time.Now(), level, "request", 0)
				rec.AddAttrs(attrs...)
				_ = h.Handle(r.Context(), rec)
			}
		})
	}
}

// routePattern is the chi pattern that matched, or "unmatched" so that a
// scan of random paths cannot blow up metric cardinality.
func routePattern(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		if p := rc.RoutePattern(); p != "" {
			return p
		}
	}
	return "unmatched"
}
