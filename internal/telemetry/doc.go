// Package telemetry sets up OpenTelemetry tracing (SPEC §6) from the standard
// OTEL_* environment variables: on when OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set, exporting over OTLP/HTTP; off
// otherwise, and then nothing is installed at all — no middleware, no
// transport wrapper — so a gateway without tracing pays nothing for it.
//
// Spans leave the process only through a scrubbing exporter: it keeps an
// allow-list of attributes (method, route, status, upstream and operation,
// server address), cuts the query and user info off url.full, and masks any
// run of seven or more digits, so that no secret, token, query string with
// caller data or full phone number reaches the tracing backend even if an
// instrumentation library records more than this package asks for.
package telemetry
