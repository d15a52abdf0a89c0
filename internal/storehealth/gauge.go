package storehealth

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// Gauge returns a gauge reading 1 while h's store is healthy and 0 while it
// is down, labelled with the store's name. It is evaluated at every scrape,
// so it is current whenever it is read.
func Gauge(h *Health, store string) prometheus.GaugeFunc {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "switchboard_shared_store_up",
		Help:        "Whether the shared store is in use: 1 healthy, 0 down (every user falls back).",
		ConstLabels: prometheus.Labels{"store": store},
	}, func() float64 {
		if h.Up() {
			return 1
		}
		return 0
	})
}

// PingGauge returns a gauge named name reading 1 when ping answers and 0
// otherwise, computed at every scrape. The ping goes through h, so it is
// bounded by the same timeout as every other call to the store, and a
// failed one starts the same cooldown.
func PingGauge(h *Health, name, help string, ping func(ctx context.Context) error) prometheus.GaugeFunc {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
		if h.Do(context.Background(), ping) != nil {
			return 0
		}
		return 1
	})
}
