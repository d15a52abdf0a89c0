package telemetry

import (
	"context"
	"net/url"
	"regexp"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Attribute keys this package sets on its own spans.
const (
	// AttrTenant is the tenant id of an authenticated request.
	AttrTenant = attribute.Key("switchboard.tenant")
	// AttrUpstream is "callwidget" or "phonewagon".
	AttrUpstream = attribute.Key("switchboard.upstream")
	// AttrOperation is the upstream operation ("calls", "new-sms", ...).
	AttrOperation = attribute.Key("switchboard.upstream.operation")
)

// exportable is the allow-list of span and event attributes. Anything else
// an instrumentation records (user agent, headers, url.query, client
// address) is dropped before export.
var exportable = map[attribute.Key]bool{
	"http.request.method":          true,
	"http.request.method_original": true,
	"http.response.status_code":    true,
	"http.route":                   true,
	"url.scheme":                   true,
	"url.full":                     true, // rewritten without query and user info
	"server.address":               true,
	"server.port":                  true,
	"network.protocol.name":        true,
	"network.protocol.version":     true,
	"error.type":                   true,
	"exception.type":               true,
	AttrTenant:                     true,
	AttrUpstream:                   true,
	AttrOperation:                  true,
}

// longDigits finds a phone-number-like run: seven or more digits, possibly
// with the separators people write numbers with.
var longDigits = regexp.MustCompile(`\+?[0-9][0-9 ().\-]{5,}[0-9]`)

// queryPart finds a URL query in free text (a status description).
var queryPart = regexp.MustCompile(`\?[^\s"']*`)

// Scrub wraps exp so that every span it exports carries only allow-listed
// attributes, a url.full without query or user info, and no run of seven or
// more digits in its name, attributes, events or status.
func Scrub(exp sdktrace.SpanExporter) sdktrace.SpanExporter { return scrubExporter{exp} }

type scrubExporter struct{ next sdktrace.SpanExporter }

// ExportSpans implements sdktrace.SpanExporter.
func (e scrubExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	out := make([]sdktrace.ReadOnlySpan, len(spans))
	for i, s := range spans {
		out[i] = scrubSpan(s)
	}
	return e.next.ExportSpans(ctx, out)
}

// Shutdown implements sdktrace.SpanExporter.
func (e scrubExporter) Shutdown(ctx context.Context) error { return e.next.Shutdown(ctx) }

// scrubbedSpan is a ReadOnlySpan with its name, attributes, events and
// status replaced; everything else (ids, times, links, resource) is the
// original's.
type scrubbedSpan struct {
	sdktrace.ReadOnlySpan
	name   string
	attrs  []attribute.KeyValue
	events []sdktrace.Event
	status sdktrace.Status
}

// Name returns the scrubbed span name.
func (s scrubbedSpan) Name() string { return s.name }

// Attributes returns the allow-listed, scrubbed attributes.
func (s scrubbedSpan) Attributes() []attribute.KeyValue { return s.attrs }

// Events returns the events with scrubbed names and attributes.
func (s scrubbedSpan) Events() []sdktrace.Event { return s.events }

// Status returns the status with its description scrubbed.
func (s scrubbedSpan) Status() sdktrace.Status { return s.status }

func scrubSpan(s sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan {
	events := make([]sdktrace.Event, 0, len(s.Events()))
	for _, ev := range s.Events() {
		ev.Name = MaskDigits(ev.Name)
		ev.Attributes = scrubAttrs(ev.Attributes)
		events = append(events, ev)
	}
	st := s.Status()
	st.Description = MaskDigits(queryPart.ReplaceAllString(st.Description, "?[query]"))
	return scrubbedSpan{
		ReadOnlySpan: s,
		name:         MaskDigits(s.Name()),
		attrs:        scrubAttrs(s.Attributes()),
		events:       events,
		status:       st,
	}
}

// scrubAttrs keeps the allow-listed attributes, with string values cleaned.
func scrubAttrs(in []attribute.KeyValue) []attribute.KeyValue {
	out := make([]attribute.KeyValue, 0, len(in))
	for _, kv := range in {
		if !exportable[kv.Key] {
			continue
		}
		switch {
		case kv.Key == "url.full":
			kv = kv.Key.String(bareURL(kv.Value.AsString()))
		case kv.Key == "server.address":
			// The upstream host is configuration, and an IP address would
			// look like a phone number to MaskDigits.
		case kv.Value.Type() == attribute.STRING:
			kv = kv.Key.String(MaskDigits(kv.Value.AsString()))
		}
		out = append(out, kv)
	}
	return out
}

// bareURL returns scheme://host/path of raw, digits in the path masked: no
// user info, query or fragment. A value that does not parse is dropped.
func bareURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparsable]"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: MaskDigits(u.Path)}).String()
}

// MaskDigits replaces every run of seven or more digits (with the
// separators people write phone numbers with) by "[digits]": what a log
// line or span may show of a value that could hold a phone number.
func MaskDigits(s string) string {
	if !strings.ContainsAny(s, "0123456789") {
		return s
	}
	return longDigits.ReplaceAllStringFunc(s, func(m string) string {
		n := 0
		for _, r := range m {
			if r >= '0' && r <= '9' {
				n++
			}
		}
		if n < 7 {
			return m
		}
		return "[digits]"
	})
}
