package storehealth_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"switchboard/internal/clocktest"
	"switchboard/internal/storehealth"
)

var errRedis = errors.New("connection refused")

func newHealth(t *testing.T, cfg storehealth.Config) (*storehealth.Health, *clocktest.Clock, *[]bool) {
	t.Helper()
	c := clocktest.At(time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC))
	var changes []bool
	cfg.Now = c.Now
	cfg.OnChange = func(up bool) { changes = append(changes, up) }
	h, err := storehealth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h, c, &changes
}

func TestHealthFallsBackForOneCooldownThenProbesOnce(t *testing.T) {
	h, clk, changes := newHealth(t, storehealth.Config{Cooldown: 5 * time.Second})
	var calls atomic.Int64
	failing := func(context.Context) error { calls.Add(1); return errRedis }
	working := func(context.Context) error { calls.Add(1); return nil }

	if err := h.Do(t.Context(), failing); !errors.Is(err, errRedis) {
		t.Fatalf("first call: got %v, want the store's error", err)
	}
	for range 3 {
		if err := h.Do(t.Context(), working); !errors.Is(err, storehealth.ErrDown) {
			t.Fatalf("during the cooldown: got %v, want ErrDown", err)
		}
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("got %d calls during the cooldown, want 1", got)
	}
	if h.Up() {
		t.Error("got Up during the cooldown, want down")
	}

	clk.Advance(5 * time.Second)
	if !h.Allow() {
		t.Fatal("after the cooldown: got no probe allowed, want one")
	}
	if h.Allow() {
		t.Fatal("after the cooldown: got a second probe allowed, want one per cooldown")
	}
	h.Succeeded()
	if !h.Up() || !h.Allow() {
		t.Error("after a successful probe: got down, want healthy")
	}
	if got, want := *changes, []bool{false, true}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got changes %v, want %v", got, want)
	}
}

func TestHealthCountsOutagesNotFailures(t *testing.T) {
	h, clk, _ := newHealth(t, storehealth.Config{})
	h.Failed()
	clk.Advance(storehealth.DefaultCooldown)
	h.Failed() // a failed probe extends the same outage
	if got := h.Outages(); got != 1 {
		t.Fatalf("got %d outages after a failed probe, want 1", got)
	}
	h.Succeeded()
	h.Failed()
	if got := h.Outages(); got != 2 {
		t.Errorf("got %d outages after a recovery and a failure, want 2", got)
	}
}

func TestHealthDoesNotBlameTheStoreForTheCallersCancellation(t *testing.T) {
	h, _, _ := newHealth(t, storehealth.Config{})
	ctx, cancel := context.WithCancel(t.Context())
	err := h.Do(ctx, func(context.Context) error { cancel(); return context.Canceled })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if !h.Up() || h.Outages() != 0 {
		t.Errorf("got up=%v outages=%d, want the store still healthy", h.Up(), h.Outages())
	}
}

func TestHealthBoundsEveryCallWithItsTimeout(t *testing.T) {
	h, _, _ := newHealth(t, storehealth.Config{Timeout: 20 * time.Millisecond})
	err := h.Do(t.Context(), func(ctx context.Context) error {
		<-ctx.Done() // a hanging Redis
		return ctx.Err()
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the call's deadline", err)
	}
	if h.Up() {
		t.Error("got healthy after a timed-out call, want down")
	}
}

func TestHealthCheckReportsTheStateForReadiness(t *testing.T) {
	h, _, _ := newHealth(t, storehealth.Config{})
	var pings atomic.Int64
	down := true
	check := h.Check(func(context.Context) error {
		pings.Add(1)
		if down {
			return errRedis
		}
		return nil
	})
	if err := check(t.Context()); err == nil {
		t.Fatal("got ready with Redis down, want an error")
	}
	down = false
	if err := check(t.Context()); !errors.Is(err, storehealth.ErrDown) {
		t.Errorf("during the cooldown: got %v, want ErrDown without a ping", err)
	}
	if got := pings.Load(); got != 1 {
		t.Errorf("got %d pings, want 1", got)
	}
}

func TestNewRefusesNegativeDurations(t *testing.T) {
	for name, cfg := range map[string]storehealth.Config{
		"a negative timeout is refused":  {Timeout: -time.Second},
		"a negative cooldown is refused": {Cooldown: -time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := storehealth.New(cfg); err == nil {
				t.Error("got no error, want one")
			}
		})
	}
}

func TestGaugeFollowsTheHealth(t *testing.T) {
	h, _, _ := newHealth(t, storehealth.Config{})
	reg := prometheus.NewRegistry()
	reg.MustRegister(storehealth.Gauge(h, "redis"))
	read := func() float64 {
		mfs, err := reg.Gather()
		if err != nil || len(mfs) != 1 || len(mfs[0].GetMetric()) != 1 {
			t.Fatalf("got %v, %v; want one gauge", mfs, err)
		}
		return mfs[0].GetMetric()[0].GetGauge().GetValue()
	}
	if got := read(); got != 1 {
		t.Errorf("healthy: got %v, want 1", got)
	}
	h.Failed()
	if got := read(); got != 0 {
		t.Errorf("down: got %v, want 0", got)
	}
}
