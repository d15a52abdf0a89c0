package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// mirrorScrapeTimeout bounds the shared-state reads of one account's mirror
// gauges at a scrape, so that a slow Redis delays a scrape, never hangs it.
const mirrorScrapeTimeout = time.Second

// MirrorSnapshot is what a scrape reads of one account's call-history
// mirror (SPEC §7).
type MirrorSnapshot struct {
	// Calls is the number of calls held.
	Calls int
	// SyncedAt is when the last successful follow ran; zero before one.
	SyncedAt time.Time
	// BackfillDone is true once the backfill has reached the retention or
	// the beginning of history.
	BackfillDone bool
	// BackfillLeft is the part of the retention the backfill still has to
	// walk (from its next page's end down to its lower bound); zero before
	// it started.
	BackfillLeft time.Duration
	// Retention is how far back the backfill reaches.
	Retention time.Duration
}

// backfillProgress is the share of the retention walked so far, in [0, 1].
func (s MirrorSnapshot) backfillProgress() float64 {
	switch {
	case s.BackfillDone:
		return 1
	case s.Retention <= 0 || s.BackfillLeft <= 0:
		return 0
	}
	return min(max(1-float64(s.BackfillLeft)/float64(s.Retention), 0), 1)
}

// mirrorCollector reports the gauges of every watched mirror, read at each
// scrape so that they are current whenever they are scraped: calls held,
// sync lag (now − synced_at) and backfill progress.
type mirrorCollector struct {
	now                    func() time.Time
	calls, lag, backfilled *prometheus.Desc

	mu       sync.Mutex
	accounts map[string]func(ctx context.Context) (MirrorSnapshot, error)
}

func newMirrorCollector(now func() time.Time) *mirrorCollector {
	return &mirrorCollector{
		now: now,
		calls: prometheus.NewDesc("switchboard_mirror_calls",
			"Calls held by the call-history mirror, by Phonewagon account (client id).", []string{"account"}, nil),
		lag: prometheus.NewDesc("switchboard_mirror_sync_lag_seconds",
			"Seconds since the mirror's last successful follow (now − synced_at), by Phonewagon account (client id); absent before the first follow.", []string{"account"}, nil),
		backfilled: prometheus.NewDesc("switchboard_mirror_backfill_progress_ratio",
			"Share of the retention the mirror's backfill has walked, 0 to 1, by Phonewagon account (client id).", []string{"account"}, nil),
		accounts: make(map[string]func(ctx context.Context) (MirrorSnapshot, error)),
	}
}

// Describe implements prometheus.Collector.
func (c *mirrorCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.calls
	ch <- c.lag
	ch <- c.backfilled
}

// Collect implements prometheus.Collector. An account whose state cannot
// be read reports no gauge at this scrape rather than a stale or made-up
// value.
func (c *mirrorCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	reads := make(map[string]func(ctx context.Context) (MirrorSnapshot, error), len(c.accounts))
	for k, v := range c.accounts {
		reads[k] = v
	}
	c.mu.Unlock()
	for account, read := range reads {
		ctx, cancel := context.WithTimeout(context.Background(), mirrorScrapeTimeout)
		s, err := read(ctx)
		cancel()
		if err != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.calls, prometheus.GaugeValue, float64(s.Calls), account)
		if !s.SyncedAt.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue,
				max(c.now().Sub(s.SyncedAt).Seconds(), 0), account)
		}
		ch <- prometheus.MustNewConstMetric(c.backfilled, prometheus.GaugeValue, s.backfillProgress(), account)
	}
}

// WatchMirror reports the mirror of the Phonewagon account whose client id
// is account: read is called at every scrape (bounded by a second).
func (m *Metrics) WatchMirror(account string, read func(ctx context.Context) (MirrorSnapshot, error)) {
	m.mirrors.mu.Lock()
	m.mirrors.accounts[account] = read
	m.mirrors.mu.Unlock()
}

// UnwatchMirror stops reporting the gauges of account's mirror: a reload
// removed it.
func (m *Metrics) UnwatchMirror(account string) {
	m.mirrors.mu.Lock()
	delete(m.mirrors.accounts, account)
	m.mirrors.mu.Unlock()
}

// MirrorSyncRequest counts one sync request of account's mirror by kind
// (backfill, follow, revisit) and outcome (ok, refused, error).
func (m *Metrics) MirrorSyncRequest(account, kind, outcome string) {
	m.MirrorSyncRequests.WithLabelValues(account, kind, outcome).Inc()
}

// MirrorLease counts this replica taking (held) or losing or giving up
// account's mirror lease.
func (m *Metrics) MirrorLease(account string, held bool) {
	change := "released"
	if held {
		change = "acquired"
	}
	m.MirrorLeaseChanges.WithLabelValues(account, change).Inc()
}
