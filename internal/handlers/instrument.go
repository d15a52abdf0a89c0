package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"switchboard/internal/metrics"
	"switchboard/internal/telemetry"
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
func (s *Server) instrument(logger *slog.Logger, m *metrics.Metrics) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			var ri *requestInfo
			var ww *statusWriter
			if st := stateFrom(r.Context()); st != nil {
				ri, ww = &st.info, &st.writer // the context already answers for ri
			} else {
				ri, ww = &requestInfo{}, &statusWriter{}
				r = r.WithContext(upstreamhttp.WithTimings(context.WithValue(r.Context(), requestInfoKey{}, ri), &ri.upstream))
			}
			ww.ResponseWriter = w
			next.ServeHTTP(ww, r)

			elapsed := time.Since(start)
			status := ww.status
			if status == 0 {
				status = http.StatusOK
			}
			route, method := s.routeLabel(r), methodLabel(r)
			m.HTTPRequests.WithLabelValues(method, route, statusLabel(status), ri.tenant).Inc()
			m.HTTPDuration.WithLabelValues(method, route).Observe(elapsed.Seconds())
			if ri.cache != "" {
				m.CacheResults.WithLabelValues(route, cacheLabel(ri.cache)).Inc()
			}

			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelWarn
			}
			attrs := make([]slog.Attr, 0, 14)
			attrs = append(attrs,
				slog.String("request_id", RequestID(r.Context())),
				slog.String("method", r.Method),
				slog.String("path", telemetry.MaskDigits(r.URL.Path)), // a phone number may sit where an id goes
				slog.String("route", route),
				slog.Int("status", status),
				slog.Int("bytes", ww.bytes),
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

// statusLabels[n] is the text of status 100 + n, made once: the status is a
// label of every request's metrics.
var statusLabels = func() []string {
	v := make([]string, 500)
	for n := range v {
		v[n] = strconv.Itoa(100 + n)
	}
	return v
}()

// statusLabel returns status as text.
func statusLabel(status int) string {
	if status >= 100 && status < 100+len(statusLabels) {
		return statusLabels[status-100]
	}
	return strconv.Itoa(status)
}

// cacheLabels are the cache metric's labels of the X-Cache values.
var cacheLabels = map[string]string{"HIT": "hit", "MISS": "miss", "STALE": "stale", "BYPASS": "bypass", "MIRROR": "mirror"}

// cacheLabel returns the X-Cache value x in lower case, the metric's label.
func cacheLabel(x string) string {
	if l, ok := cacheLabels[x]; ok {
		return l
	}
	return strings.ToLower(x)
}

// statusWriter records the status and the body bytes of a response for
// instrument, like chi's middleware.WrapResponseWriter but without an
// allocation of its own: it lives in the request's state. Flush, Hijack,
// write deadlines and the like reach the wrapped writer through Unwrap
// (http.ResponseController), as Flush does directly.
type statusWriter struct {
	http.ResponseWriter
	status      int
	bytes       int
	wroteHeader bool
}

// WriteHeader records the first final status and passes informational
// ones (1xx but 101) through; later calls are dropped, as net/http would.
func (w *statusWriter) WriteHeader(code int) {
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Flush sends what is buffered, as http.Flusher.
func (w *statusWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
