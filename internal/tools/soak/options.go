package main

import (
	"errors"
	"fmt"
	"time"
)

// Bounds on the options, so that a typo cannot start an unbounded run.
const (
	maxRunDuration = 2 * time.Hour
	maxReplicas    = 8
	maxTenantRate  = 200.0 // requests per second per tenant
)

// Fixed parts of the latency bound and of the run.
const (
	// budgetMaxWait is the gateway's wait for a Phonewagon budget slot
	// (SPEC §5: up to 2 s).
	budgetMaxWait = 2 * time.Second
	// latencyMargin is added to budgetMaxWait and the upstream timeout to
	// bound one request: scheduling on a shared machine, Redis round trips.
	latencyMargin = time.Second
	// clientTimeout bounds every request the workload sends, far above the
	// latency bound so that a slow answer is measured, not cut off.
	clientTimeout = 30 * time.Second
	// maxInFlight bounds the workload's concurrent requests; a tick that
	// finds them all busy is counted as skipped instead of queued.
	maxInFlight = 256
)

// options are the run's settings, from the flags.
type options struct {
	// Duration is how long the soak workload runs.
	Duration time.Duration
	// Overload selects the overload test.
	Overload bool
	// OverloadDuration is how long the overload runs.
	OverloadDuration time.Duration
	// Replicas is the number of gateway processes.
	Replicas int
	// RateLimitPerMinute is every tenant's inbound limit.
	RateLimitPerMinute int
	// SoakRate is the soak's requests per second per tenant, below the
	// inbound limit so that most requests reach the handlers.
	SoakRate float64
	// OverloadFactor multiplies the inbound limit in overload mode.
	OverloadFactor float64
	// UpstreamTimeout is the replicas' SWITCHBOARD_UPSTREAM_TIMEOUT.
	UpstreamTimeout time.Duration
	// FaultEvery and FaultFor schedule the soak's injected faults.
	FaultEvery, FaultFor time.Duration
	// Faults limits the rotation to these fault names; empty is all.
	Faults []string
	// MaxRSSMiB fails the run when a replica's peak RSS exceeds it.
	MaxRSSMiB int
	// GoroutineSlack is how many goroutines a replica may gain across the
	// load before it counts as a leak.
	GoroutineSlack int
	// Seed seeds the workload's choices; 0 takes one from the clock.
	Seed uint64
	// KeepDir keeps the temporary directory even when the run passes.
	KeepDir bool
}

// defaultOptions are the documented defaults: a 5 minute soak at 1.5
// requests per second per tenant under a 120/min inbound limit, and an
// overload at ten times that limit for 2 minutes.
func defaultOptions() options {
	return options{
		Duration:           5 * time.Minute,
		OverloadDuration:   2 * time.Minute,
		Replicas:           3,
		RateLimitPerMinute: 120,
		SoakRate:           1.5,
		OverloadFactor:     10,
		UpstreamTimeout:    3 * time.Second,
		FaultEvery:         30 * time.Second,
		FaultFor:           5 * time.Second,
		MaxRSSMiB:          256,
		GoroutineSlack:     10,
	}
}

// setDuration parses v as the soak duration.
func (o *options) setDuration(v string) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return err
	}
	o.Duration = d
	return nil
}

// validate reports the first option out of its bounds.
func (o options) validate() error {
	switch {
	case o.Duration <= 0 || o.Duration > maxRunDuration:
		return fmt.Errorf("-duration: must be in (0, %s], got %s", maxRunDuration, o.Duration)
	case o.OverloadDuration <= 0 || o.OverloadDuration > maxRunDuration:
		return fmt.Errorf("-overload-duration: must be in (0, %s], got %s", maxRunDuration, o.OverloadDuration)
	case o.Replicas < 1 || o.Replicas > maxReplicas:
		return fmt.Errorf("-replicas: must be from 1 to %d, got %d", maxReplicas, o.Replicas)
	case o.RateLimitPerMinute < 1:
		return fmt.Errorf("-rate-limit: must be positive, got %d", o.RateLimitPerMinute)
	case o.SoakRate <= 0 || o.SoakRate > maxTenantRate:
		return fmt.Errorf("-rate: must be in (0, %g], got %g", maxTenantRate, o.SoakRate)
	case o.OverloadFactor <= 0:
		return fmt.Errorf("-overload-factor: must be positive, got %g", o.OverloadFactor)
	case o.tenantRate() > maxTenantRate:
		return fmt.Errorf("-rate-limit × -overload-factor: %g requests/s per tenant is over the bound of %g", o.tenantRate(), maxTenantRate)
	case o.UpstreamTimeout <= 0 || o.UpstreamTimeout > time.Minute:
		return fmt.Errorf("-upstream-timeout: must be in (0, 1m], got %s", o.UpstreamTimeout)
	case o.FaultEvery < 0 || o.FaultFor < 0:
		return errors.New("-fault-every, -fault-for: must not be negative")
	case o.FaultEvery > 0 && o.FaultFor >= o.FaultEvery:
		return fmt.Errorf("-fault-for: must be shorter than -fault-every (%s), got %s", o.FaultEvery, o.FaultFor)
	case o.faultsErr() != nil:
		return fmt.Errorf("-faults: %w", o.faultsErr())
	case o.MaxRSSMiB < 1:
		return fmt.Errorf("-max-rss-mib: must be positive, got %d", o.MaxRSSMiB)
	case o.GoroutineSlack < 0:
		return fmt.Errorf("-goroutine-slack: must not be negative, got %d", o.GoroutineSlack)
	}
	return nil
}

// mode names the run in the report.
func (o options) mode() string {
	if o.Overload {
		return "overload"
	}
	return "soak"
}

// loadDuration is how long the workload sends requests.
func (o options) loadDuration() time.Duration {
	if o.Overload {
		return o.OverloadDuration
	}
	return o.Duration
}

// tenantRate is the requests per second sent for each tenant.
func (o options) tenantRate() float64 {
	if o.Overload {
		return float64(o.RateLimitPerMinute) / 60 * o.OverloadFactor
	}
	return o.SoakRate
}

// faultsOn reports whether upstream faults are injected: in the soak only,
// so that the overload measures the budget and the limits alone.
func (o options) faultsOn() bool { return !o.Overload && o.FaultEvery > 0 && o.FaultFor > 0 }

// latencyBound is the longest a request may take: the budget's wait, one
// upstream timeout, and a margin.
func (o options) latencyBound() time.Duration {
	return budgetMaxWait + o.UpstreamTimeout + latencyMargin
}

// faultsErr reports an unknown name in Faults.
func (o options) faultsErr() error {
	_, err := selectFaults(o.Faults)
	return err
}
