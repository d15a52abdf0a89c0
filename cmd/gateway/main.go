// Command gateway runs Switchboard: one normalized, cached, rate-budgeted
// REST/JSON API over the CallWidget and Phonewagon telephony APIs.
//
// Configuration comes from SWITCHBOARD_* environment variables; see the
// README. With SWITCHBOARD_SANDBOX=true it starts simulated upstreams and
// prints a ready caller token. "gateway healthcheck" probes the /healthz of
// a gateway running in the same container and exits 0 or 1.
package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

//	@title						Switchboard API
//	@version					1.0
//	@description				One normalized, cached, rate-budgeted API over the CallWidget and Phonewagon telephony APIs. Every /v1 request needs a bearer JWT with the tenant and scopes named on each operation. Errors are RFC 9457 problem documents.
//	@license.name					Proprietary
//	@servers.url					/
//	@servers.description			this gateway
//	@securitydefinitions.bearerauth	BearerAuth

func main() {
	if len(os.Args) == 2 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck(os.Getenv, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, os.Stderr); err != nil {
		reportExit(os.Stderr, err)
		os.Exit(1)
	}
}

// reportExit writes why the gateway stopped as one JSON log line, like
// every other line it writes. Errors that reach it name fields, never
// secrets (config errors are built that way).
func reportExit(w io.Writer, err error) {
	slog.New(slog.NewJSONHandler(w, nil)).Error("switchboard stopped", "error", err.Error())
}
