package breaker

import (
	"cmp"
	"errors"
	"time"
)

// Defaults of Config.
const (
	DefaultFailureThreshold = 5
	DefaultBaseOpen         = 2 * time.Second
	DefaultMaxOpen          = 60 * time.Second
	DefaultProbeTimeout     = 60 * time.Second
)

// Config configures a Breaker. Zero fields mean the documented default.
type Config struct {
	// Name identifies the breaker to OnStateChange and in the log-only cause
	// of its fail-fast errors, e.g. "phonewagon:<client id>". It never
	// reaches a caller. Optional.
	Name string
	// FailureThreshold is the number of consecutive failures that opens the
	// breaker. Default DefaultFailureThreshold.
	FailureThreshold int
	// BaseOpen is how long the breaker stays open the first time, and again
	// after every close. Default DefaultBaseOpen.
	BaseOpen time.Duration
	// MaxOpen caps the open interval, which doubles on every failed probe.
	// It must not be less than BaseOpen. Default DefaultMaxOpen.
	MaxOpen time.Duration
	// ProbeTimeout is how long a probe may go without reporting before it is
	// presumed lost (an Allow whose done was never called) and the next
	// caller is let through as the probe instead; a late report of the lost
	// probe is then ignored. Set it above the upstream request timeout, or
	// a slow probe gets company. Default DefaultProbeTimeout.
	ProbeTimeout time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// OnStateChange, when set, is told every transition (for a metrics gauge
	// and a log line). Calls are made in the order of the transitions, one at
	// a time, after the Breaker's own lock is released: the hook may call
	// State, but must not block, since the next transition waits for it. No
	// call is made for the initial Closed state.
	OnStateChange func(name string, from, to State)
}

// withDefaults validates cfg and fills in its zero fields.
func (cfg Config) withDefaults() (Config, error) {
	switch {
	case cfg.FailureThreshold < 0:
		return cfg, errors.New("breaker: config: failure_threshold: must not be negative")
	case cfg.BaseOpen < 0:
		return cfg, errors.New("breaker: config: base_open: must not be negative")
	case cfg.MaxOpen < 0:
		return cfg, errors.New("breaker: config: max_open: must not be negative")
	case cfg.ProbeTimeout < 0:
		return cfg, errors.New("breaker: config: probe_timeout: must not be negative")
	}
	cfg.FailureThreshold = cmp.Or(cfg.FailureThreshold, DefaultFailureThreshold)
	cfg.BaseOpen = cmp.Or(cfg.BaseOpen, DefaultBaseOpen)
	cfg.MaxOpen = cmp.Or(cfg.MaxOpen, DefaultMaxOpen)
	cfg.ProbeTimeout = cmp.Or(cfg.ProbeTimeout, DefaultProbeTimeout)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxOpen < cfg.BaseOpen {
		return cfg, errors.New("breaker: config: max_open: must not be less than base_open")
	}
	return cfg, nil
}
