package telemetry

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// operations maps the last segments of an upstream request path to the
// upstream and operation it is. The two APIs share no path, so the path
// alone tells them apart; anything else is "unknown"/"other", never the raw
// path.
var operations = map[string][2]string{
	"/api-login":            {"callwidget", "login"},
	"/refresh-token":        {"callwidget", "refresh-token"},
	"/share/installs":       {"callwidget", "installs"},
	"/share/departments":    {"callwidget", "departments"},
	"/share/tags":           {"callwidget", "tags"},
	"/share/automations":    {"callwidget", "automations"},
	"/share/new-contact":    {"callwidget", "new-contact"},
	"/share/new-call":       {"callwidget", "new-call"},
	"/share/new-sms":        {"callwidget", "new-sms"},
	"/share/new-sms-call":   {"callwidget", "new-sms-call"},
	"/share/new-automation": {"callwidget", "new-automation"},
	"/companies":            {"phonewagon", "companies"},
	"/campaigns":            {"phonewagon", "campaigns"},
	"/calls":                {"phonewagon", "calls"},
}

// operationOf returns the upstream and operation of an upstream request.
func operationOf(r *http.Request) (upstream, operation string) {
	p := strings.TrimRight(r.URL.Path, "/")
	for _, n := range []int{2, 1} { // "/share/new-sms", then "/calls"
		i := len(p)
		for range n {
			i = strings.LastIndexByte(p[:i], '/')
			if i < 0 {
				break
			}
		}
		if i < 0 {
			continue
		}
		if op, ok := operations[p[i:]]; ok {
			return op[0], op[1]
		}
	}
	return "unknown", "other"
}

// Transport wraps the upstream transport with a client span per request,
// named "<upstream> <operation>" and carrying both as attributes next to
// the method and status otelhttp records. When tracing is off it returns
// base itself. No trace context is sent upstream: the third-party APIs are
// not part of the trace, and a caller's trace id has no business there.
func (t *Tracing) Transport(base http.RoundTripper) http.RoundTripper {
	if !t.Enabled() {
		return base
	}
	return otelhttp.NewTransport(annotate{base},
		otelhttp.WithTracerProvider(t.provider),
		otelhttp.WithPropagators(propagation.NewCompositeTextMapPropagator()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			up, op := operationOf(r)
			return up + " " + op
		}),
	)
}

// annotate sits inside otelhttp, where the client span is in the request's
// context, and adds the upstream and operation to it.
type annotate struct{ next http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (a annotate) RoundTrip(r *http.Request) (*http.Response, error) {
	if span := trace.SpanFromContext(r.Context()); span.IsRecording() {
		up, op := operationOf(r)
		span.SetAttributes(AttrUpstream.String(up), AttrOperation.String(op))
	}
	return a.next.RoundTrip(r)
}
