package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/go-logr/logr"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// serviceName is service.name unless OTEL_SERVICE_NAME (or
// OTEL_RESOURCE_ATTRIBUTES) says otherwise.
const serviceName = "switchboard"

// Tracing is the process's tracing: a tracer provider and the W3C trace
// context propagator when on, nothing when off. The zero value and nil are
// off. It is safe for concurrent use.
type Tracing struct {
	provider *sdktrace.TracerProvider // nil when off
}

// Off returns a Tracing that is off.
func Off() *Tracing { return &Tracing{} }

// FromEnv turns tracing on when getenv has OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, unless OTEL_SDK_DISABLED is true or
// OTEL_TRACES_EXPORTER is none. The exporter, sampler (OTEL_TRACES_SAMPLER),
// batching (OTEL_BSP_*) and resource (OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES) read the other standard variables from the
// process environment, as the OpenTelemetry SDK does. The SDK's own error
// reports go to logger as JSON lines.
func FromEnv(ctx context.Context, getenv func(string) string, logger *slog.Logger) (*Tracing, error) {
	switch {
	case strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true"),
		strings.EqualFold(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")), "none"),
		getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "":
		return Off(), nil
	}
	if p := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"); p != "" && p != "http/protobuf" {
		return nil, fmt.Errorf("telemetry: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: only http/protobuf is supported")
	}
	if p := getenv("OTEL_EXPORTER_OTLP_PROTOCOL"); p != "" && p != "http/protobuf" {
		return nil, fmt.Errorf("telemetry: OTEL_EXPORTER_OTLP_PROTOCOL: only http/protobuf is supported")
	}
	installErrorLogging(logger)
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("telemetry: OTLP exporter: %w", err)
	}
	res, err := newResource(ctx)
	if err != nil {
		return nil, err
	}
	return &Tracing{provider: sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(Scrub(exp)),
		sdktrace.WithResource(res),
	)}, nil
}

// New returns tracing that is on and hands every span, scrubbed, to exp as
// soon as it ends: for tests with an in-memory exporter.
func New(exp sdktrace.SpanExporter) *Tracing {
	return &Tracing{provider: sdktrace.NewTracerProvider(
		sdktrace.WithSyncer(Scrub(exp)),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
	)}
}

// newResource names the service; the OTEL_* variables override the name.
func newResource(ctx context.Context) (*resource.Resource, error) {
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(serviceName)),
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	return res, nil
}

// installErrorLogging sends the SDK's error reports and internal log lines
// (an export that failed, a full queue) through logger, so every line the
// process writes stays one JSON object.
func installErrorLogging(logger *slog.Logger) {
	otel.SetLogger(logr.FromSlogHandler(logger.Handler()))
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		logger.Warn("tracing: export problem", "error", err.Error())
	}))
}

// Enabled reports whether tracing is on.
func (t *Tracing) Enabled() bool { return t != nil && t.provider != nil }

// Tracer returns the named tracer; a no-op one when off.
func (t *Tracing) Tracer(name string) trace.Tracer {
	if !t.Enabled() {
		return noop.NewTracerProvider().Tracer(name)
	}
	return t.provider.Tracer(name)
}

// TracerProvider returns the provider; a no-op one when off.
func (t *Tracing) TracerProvider() trace.TracerProvider {
	if !t.Enabled() {
		return noop.NewTracerProvider()
	}
	return t.provider
}

// Propagator is W3C trace context (traceparent, tracestate) only: baggage
// from callers is not carried, so it cannot reach span attributes or logs.
func (t *Tracing) Propagator() propagation.TextMapPropagator { return propagation.TraceContext{} }

// Shutdown exports the spans still queued and stops the provider. ctx
// bounds the flush. It does nothing when off.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	if err := t.provider.Shutdown(ctx); err != nil {
		return fmt.Errorf("telemetry: shutdown: %w", err)
	}
	return nil
}
