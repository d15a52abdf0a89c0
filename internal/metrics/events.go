package metrics

import "github.com/prometheus/client_golang/prometheus"

// EventMetrics are the collectors of events (SPEC §8). Webhook endpoints
// are labelled by tenant and their position in the tenant's webhooks list
// ("0", "1", …), never by URL: a URL may carry credentials.
type EventMetrics struct {
	// Emitted counts events recorded, by type.
	Emitted *prometheus.CounterVec
	// SSEClients is the number of open /v1/events streams on this replica.
	SSEClients prometheus.Gauge
	// WebhookAttempts counts delivery attempts by tenant, endpoint and
	// outcome (delivered, failed, gone, dropped); dropped also counts the
	// events owed to an endpoint that a reload removed.
	WebhookAttempts *prometheus.CounterVec
	// WebhookBacklog is the events not yet delivered, by tenant and endpoint.
	WebhookBacklog *prometheus.GaugeVec
}

func newEventMetrics() EventMetrics {
	return EventMetrics{
		Emitted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_events_emitted_total",
			Help: "Events recorded by the call-history mirror, by type (call.created, call.updated).",
		}, []string{"type"}),
		SSEClients: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "switchboard_sse_clients",
			Help: "Open /v1/events streams on this replica.",
		}),
		WebhookAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_webhook_attempts_total",
			Help: "Webhook delivery attempts, by tenant, endpoint (its index in the tenant's list) and outcome: delivered (2xx), failed (retried later), gone (410: endpoint disabled), dropped (given up after 24 h, or owed to an endpoint a reload removed).",
		}, []string{"tenant", "endpoint", "outcome"}),
		WebhookBacklog: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "switchboard_webhook_backlog",
			Help: "Events not yet delivered to a webhook endpoint, by tenant and endpoint (its index in the tenant's list).",
		}, []string{"tenant", "endpoint"}),
	}
}

func (e EventMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{e.Emitted, e.SSEClients, e.WebhookAttempts, e.WebhookBacklog}
}
