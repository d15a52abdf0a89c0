package config

import (
	"fmt"
	"log/slog"
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults and bounds of a Phonewagon account's mirror block (SPEC §1, §7).
const (
	// DefaultMirrorRetention is how far back the mirror backfills and keeps
	// calls: 90 days.
	DefaultMirrorRetention = 2160 * time.Hour
	// DefaultMirrorSyncInterval is how often the follow fetches new calls.
	DefaultMirrorSyncInterval = 15 * time.Second
	// DefaultMirrorRevisit is how far back each revisit re-reads.
	DefaultMirrorRevisit = 2 * time.Hour
	// DefaultMirrorRevisitInterval is how often the revisit runs.
	DefaultMirrorRevisitInterval = 5 * time.Minute

	// MinMirrorSyncInterval keeps the follow to at most 12 requests a minute
	// when nothing is new, well inside a 50-a-minute budget's background
	// lane.
	MinMirrorSyncInterval = 5 * time.Second

	minMirrorRetention       = time.Hour
	maxMirrorRetention       = 10 * 365 * 24 * time.Hour
	maxMirrorSyncInterval    = time.Hour
	minMirrorRevisit         = time.Minute
	minMirrorRevisitInterval = 5 * time.Second
	maxMirrorRevisitInterval = 24 * time.Hour
)

// Mirror is the optional mirror block of a Phonewagon account (SPEC §7): a
// synced copy of its call history that answers calls queries without
// spending the budget. Tenants sharing the account share its mirror, so they
// must agree on every field (or all have none).
type Mirror struct {
	// Retention is how far back the backfill reaches and how long calls are
	// kept, in [1h, 10 years].
	Retention time.Duration
	// SyncInterval is the period of the follow, in [5s, 1h].
	SyncInterval time.Duration
	// Revisit is how far back each revisit re-reads, in [1m, Retention].
	Revisit time.Duration
	// RevisitInterval is the period of the revisit, in [5s, 24h].
	RevisitInterval time.Duration
}

// String implements fmt.Stringer, so that a Phonewagon printed with %v
// shows the settings rather than a pointer.
func (m Mirror) String() string {
	return fmt.Sprintf("mirror{retention: %s, sync_interval: %s, revisit: %s, revisit_interval: %s}",
		m.Retention, m.SyncInterval, m.Revisit, m.RevisitInterval)
}

// LogValue implements slog.LogValuer.
func (m Mirror) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Duration("retention", m.Retention),
		slog.Duration("sync_interval", m.SyncInterval),
		slog.Duration("revisit", m.Revisit),
		slog.Duration("revisit_interval", m.RevisitInterval),
	)
}

// mirror reads a phonewagon section's mirror block. A null block
// ("mirror:" with everything below commented out) is an error rather than
// "no mirror", as for the upstream sections: turning the mirror off should
// be an explicit edit. An empty mapping ("mirror: {}") is every default.
func (r *nodeReader) mirror(n *yaml.Node, path string) *Mirror {
	m := r.mapping(n, path, "retention", "sync_interval", "revisit", "revisit_interval")
	if m == nil {
		return nil
	}
	before := len(r.errs)
	mi := &Mirror{}
	mi.Retention, _ = r.duration(m["retention"], join(path, "retention"),
		DefaultMirrorRetention, minMirrorRetention, maxMirrorRetention)
	mi.SyncInterval, _ = r.duration(m["sync_interval"], join(path, "sync_interval"),
		DefaultMirrorSyncInterval, MinMirrorSyncInterval, maxMirrorSyncInterval)
	revisit, ok := r.duration(m["revisit"], join(path, "revisit"),
		DefaultMirrorRevisit, minMirrorRevisit, maxMirrorRetention)
	if ok && mi.Retention > 0 && revisit > mi.Retention {
		// A revisit beyond the retention would re-read calls the mirror no
		// longer keeps and put them back.
		r.errs.add(join(path, "revisit"), lineOf(m["revisit"], n), "must not exceed retention")
	}
	mi.Revisit = revisit
	mi.RevisitInterval, _ = r.duration(m["revisit_interval"], join(path, "revisit_interval"),
		DefaultMirrorRevisitInterval, minMirrorRevisitInterval, maxMirrorRevisitInterval)
	if len(r.errs) != before {
		return nil
	}
	return mi
}

// duration reads an optional Go duration ("15s", "2160h") in [lo, hi],
// returning def when absent. A bare number is refused: "15" could mean
// seconds or minutes, and the operator should say which.
func (r *nodeReader) duration(n *yaml.Node, path string, def, lo, hi time.Duration) (time.Duration, bool) {
	if n == nil || isNull(n) {
		return def, true
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		r.errs.add(path, n.Line, "must be a duration such as 15s, 5m or 2160h, got %s", kindName(n))
		return 0, false
	}
	s, err := expand(n.Value, r.getenv)
	if err != nil {
		r.errs.add(path, n.Line, "%s", err)
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		// ParseDuration's message quotes the input.
		r.errs.add(path, n.Line, "must be a duration such as 15s, 5m or 2160h")
		return 0, false
	}
	if d < lo || d > hi {
		r.errs.add(path, n.Line, "must be between %s and %s", lo, hi)
		return 0, false
	}
	return d, true
}

// sameMirror reports whether two accounts' mirror settings agree: both
// none, or equal.
func sameMirror(a, b *Mirror) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
