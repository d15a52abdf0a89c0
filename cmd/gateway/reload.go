package main

import (
	"context"
	"log/slog"
	"os"

	"switchboard/internal/config"
	"switchboard/internal/handlers"
	"switchboard/internal/metrics"
)

// reloader applies the tenants file again on each signal (SIGHUP, SPEC §1).
// A reload loads a new Config from the same environment (Config is never
// modified), re-applies the sandbox's additions in sandbox mode, builds the
// new generation of tenants (accounts still named keep their budgets and
// breakers, unchanged tenants their clients) and publishes it to the
// handlers for the requests that start after it. An invalid file is logged,
// naming the field, and the configuration in force stays.
type reloader struct {
	getenv  func(string) string
	sandbox *config.SandboxAdditions // nil outside sandbox mode
	wiring  *wiring
	events  *eventsOut
	server  *handlers.Server
	metrics *metrics.Metrics
	logger  *slog.Logger
}

// run reloads once per signal until ctx is done. Signals are handled one at
// a time; a signal that arrives during a reload is served after it.
func (rl *reloader) run(ctx context.Context, signals <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-signals:
			rl.reload()
		}
	}
}

// reload applies the tenants file once and reports the outcome in a log
// line and in switchboard_config_reloads_total. The webhooks are checked
// before anything applies, so that a reload is applied whole or not at
// all; they change right after the tenants' mirrors do (a mirror added
// with its endpoints starts with its backfill, which records no event) and
// before the handlers see the new tenants, so that GET /v1/webhooks of a
// tenant in force lists its endpoints in force.
func (rl *reloader) reload() {
	cfg, err := config.Load(rl.getenv, os.ReadFile)
	if err == nil && rl.sandbox != nil {
		cfg, err = cfg.WithSandbox(*rl.sandbox)
	}
	if err == nil {
		err = rl.events.checkWebhooks(cfg)
	}
	var ch tenantChanges
	var tenants map[string]*handlers.Tenant
	if err == nil {
		tenants, ch, err = rl.wiring.build(cfg)
	}
	if err != nil {
		rl.metrics.Reloads.WithLabelValues(metrics.ReloadRejected).Inc()
		rl.logger.Error("tenants file not reloaded: the configuration in force stays", "error", err.Error())
		return
	}
	wh, err := rl.events.reloadWebhooks(cfg)
	if err != nil { // checked above: not expected
		rl.logger.Error("webhooks not reloaded: the endpoints in force stay", "error", err.Error())
	}
	rl.server.SetTenants(tenants)
	rl.metrics.Reloads.WithLabelValues(metrics.ReloadApplied).Inc()
	rl.logger.Info("tenants file reloaded", "tenants", len(tenants),
		"added", ch.Added, "removed", ch.Removed, "changed", ch.Changed,
		"webhooks", len(webhookEndpoints(cfg)), "webhooks_added", wh.Added, "webhooks_removed", wh.Removed,
		"webhooks_changed", wh.Changed, "webhooks_enabled", wh.Enabled, "webhook_events_dropped", wh.Dropped)
}
