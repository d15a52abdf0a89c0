package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"switchboard/internal/clocktest"
	"switchboard/internal/ratelimit"
	"switchboard/internal/storehealth"
)

func TestReplicasForgetsAReplicaThatStoppedBeating(t *testing.T) {
	rdb := newRedisClient(t)
	prefix := testPrefix(t, rdb)
	health, _ := storehealth.New(storehealth.Config{})
	newReplicas := func(ttl time.Duration) *ratelimit.Replicas {
		r, err := ratelimit.NewReplicas(ratelimit.ReplicasConfig{Redis: rdb, Prefix: prefix, Health: health, TTL: ttl, Hold: time.Nanosecond})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	gone, stays := newReplicas(time.Minute), newReplicas(50*time.Millisecond)
	if got := stays.Live(); got != ratelimit.DefaultAssumedReplicas {
		t.Errorf("before any beat: got %d, want the assumed %d", got, ratelimit.DefaultAssumedReplicas)
	}
	for _, r := range []*ratelimit.Replicas{gone, stays, gone, stays} {
		if err := r.Beat(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if got := stays.Live(); got != 2 {
		t.Fatalf("got %d live, want 2", got)
	}
	// Redis's clock decides when gone's beat is older than stays's TTL.
	eventuallyLive(t, stays, 1)
}

func TestReplicasKeepTheHigherCountForAHoldAfterFewerAreCounted(t *testing.T) {
	rdb := newRedisClient(t)
	prefix := testPrefix(t, rdb)
	health, _ := storehealth.New(storehealth.Config{})
	clock := clocktest.New()
	newReplicas := func() *ratelimit.Replicas {
		r, err := ratelimit.NewReplicas(ratelimit.ReplicasConfig{Redis: rdb, Prefix: prefix, Health: health,
			Hold: 10 * time.Second, Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := newReplicas(), newReplicas()
	beat := func(r *ratelimit.Replicas) {
		t.Helper()
		if err := r.Beat(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(11 * time.Second) // past the hold of the assumed count
	beat(a)
	beat(b)
	beat(a)
	if got := a.Live(); got != 2 {
		t.Fatalf("got %d live, want 2", got)
	}
	// The set is lost (Redis restarted empty) and b's beats are late (a
	// loaded machine): a counts only itself, twice.
	if err := rdb.Del(t.Context(), prefix+"replicas").Err(); err != nil {
		t.Fatal(err)
	}
	beat(a)
	clock.Advance(5 * time.Second)
	beat(a)
	if got := a.Live(); got != 2 {
		t.Fatalf("within the hold: got %d live, want still 2 (a larger outage share would overrun the budget)", got)
	}
	clock.Advance(6 * time.Second)
	beat(a)
	if got := a.Live(); got != 1 {
		t.Fatalf("after the hold: got %d live, want 1", got)
	}
}

// eventuallyLive beats r until it counts want live replicas, for at most two
// seconds: the heartbeats expire on Redis's own clock.
func eventuallyLive(t *testing.T, r *ratelimit.Replicas, want int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		if err := r.Beat(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := r.Beat(t.Context()); err != nil {
			t.Fatal(err)
		}
		if r.Live() == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d live after 2s, want %d", r.Live(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestReplicasStartCountsAtOnceAndSyncsOnEveryBeat(t *testing.T) {
	rdb := newRedisClient(t)
	prefix := testPrefix(t, rdb)
	health, _ := storehealth.New(storehealth.Config{})
	r, err := ratelimit.NewReplicas(ratelimit.ReplicasConfig{Redis: rdb, Prefix: prefix, Health: health, Interval: time.Hour, Hold: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	synced := make(chan struct{}, 1)
	r.OnBeat(func(context.Context) {
		select {
		case synced <- struct{}{}:
		default:
		}
	})
	stop := r.Start()
	if got := r.Live(); got != 1 {
		t.Errorf("after Start: got %d live, want this replica counted", got)
	}
	<-synced // the first beat's hooks run without waiting for the interval
	stop()
}

// TestReplicasStartedTogetherHoldTheAssumedCount: the first replica of a
// deployment counts only itself; until a hold has passed it must not take
// the whole limit as its outage share, nor trust a window it alone
// re-seeded, since the others counted it but it did not count them.
func TestReplicasStartedTogetherHoldTheAssumedCount(t *testing.T) {
	rdb := newRedisClient(t)
	prefix := testPrefix(t, rdb)
	health, _ := storehealth.New(storehealth.Config{})
	clock := clocktest.New()
	first, err := ratelimit.NewReplicas(ratelimit.ReplicasConfig{Redis: rdb, Prefix: prefix, Health: health,
		Hold: 10 * time.Second, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Beat(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := first.Live(); got != ratelimit.DefaultAssumedReplicas {
		t.Fatalf("alone at its first beat: got %d live, want the assumed %d held", got, ratelimit.DefaultAssumedReplicas)
	}
	clock.Advance(11 * time.Second)
	if err := first.Beat(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := first.Live(); got != 1 {
		t.Fatalf("alone after the hold: got %d live, want 1", got)
	}
}
