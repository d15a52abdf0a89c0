package main

import (
	"log/slog"

	"switchboard/internal/config"
	"switchboard/internal/handlers"
	"switchboard/internal/metrics"
)

// buildTenants turns the configured tenants into the handlers' view: one set
// of upstream clients per tenant.
func buildTenants(cfg *config.Config, m *metrics.Metrics, logger *slog.Logger) (map[string]*handlers.Tenant, error) {
	out := make(map[string]*handlers.Tenant, len(cfg.Tenants))
	for _, t := range cfg.Tenants {
		out[t.ID] = &handlers.Tenant{ID: t.ID}
	}
	return out, nil
}
