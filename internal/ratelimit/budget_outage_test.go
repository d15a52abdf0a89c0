package ratelimit_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/domain"
	"switchboard/internal/ratelimit"
	"switchboard/internal/storehealth"
)

// outageHook makes a real Redis client fail every command while down, the
// way a client of a Redis that went away does.
type outageHook struct{ down atomic.Bool }

var errRedisGone = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")

func (h *outageHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if h.down.Load() {
			return nil, errRedisGone
		}
		return next(ctx, network, addr)
	}
}

func (h *outageHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.down.Load() {
			cmd.SetErr(errRedisGone)
			return errRedisGone
		}
		return next(ctx, cmd)
	}
}

func (h *outageHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if h.down.Load() {
			return errRedisGone
		}
		return next(ctx, cmds)
	}
}

// upstream records when it received each request, on the real clock (the
// one Redis's window runs on).
type upstream struct {
	mu   sync.Mutex
	seen []time.Time
}

func (u *upstream) call() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.seen = append(u.seen, time.Now())
}

// busiestMinute is the largest number of requests the upstream saw in any
// 60-second window.
func (u *upstream) busiestMinute() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	seen := slices.Clone(u.seen)
	slices.SortFunc(seen, time.Time.Compare)
	most, first := 0, 0
	for last := range seen {
		for seen[last].Sub(seen[first]) >= ratelimit.Window {
			first++
		}
		most = max(most, last-first+1)
	}
	return most
}

// budgetReplica is one gateway replica's view of a budget: its own Redis client
// (which can lose Redis), store health, heartbeats, store and Budget.
type budgetReplica struct {
	hook     *outageHook
	clock    *fakeClock // the store health's cooldown
	replicas *ratelimit.Replicas
	budget   *ratelimit.Budget
}

func newReplica(t *testing.T, prefix string, limit int) *budgetReplica {
	t.Helper()
	rdb := newRedisClient(t)
	r := &budgetReplica{hook: &outageHook{}, clock: newFakeClock()}
	rdb.AddHook(r.hook)
	health, err := storehealth.New(storehealth.Config{Now: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	r.replicas, err = ratelimit.NewReplicas(ratelimit.ReplicasConfig{Redis: rdb, Prefix: prefix, Health: health, Now: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	// These replicas have run for a while: past the hold of the count
	// assumed at start, they go by what they count.
	r.clock.Advance(ratelimit.DefaultCountHold + time.Second)
	r.budget, err = ratelimit.NewBudget(ratelimit.BudgetConfig{
		Account:      "acme",
		Limit:        limit,
		Store:        ratelimit.NewRedisStore(rdb, prefix, r.replicas),
		Health:       health,
		LiveReplicas: r.replicas.Live,
		MaxWait:      time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// beatAll runs two heartbeat rounds on every replica, as Replicas.Run does
// (a beat, then the budget's Sync), so that each has counted all of them and
// joined the budget's shared window: a deployment that has been running for
// a couple of seconds.
func beatAll(t *testing.T, rs ...*budgetReplica) {
	t.Helper()
	for range 2 {
		for _, r := range rs {
			if err := r.replicas.Beat(t.Context()); err != nil {
				t.Fatalf("heartbeat: %v", err)
			}
			r.budget.Sync(t.Context())
		}
	}
}

// send has r try n requests to up, and returns how many it admitted.
func (r *budgetReplica) send(t *testing.T, up *upstream, n int) int {
	t.Helper()
	admitted := 0
	for range n {
		if err := r.budget.Wait(t.Context()); err == nil {
			up.call()
			admitted++
		}
	}
	return admitted
}

func (r *budgetReplica) loseRedis() { r.hook.down.Store(true) }

// regainRedis brings Redis back and lets the cooldown pass, so that the
// next call probes it.
func (r *budgetReplica) regainRedis() {
	r.hook.down.Store(false)
	r.clock.Advance(storehealth.DefaultCooldown)
}

func TestBudgetHoldsAcrossSharedStateFailures(t *testing.T) {
	const limit = 10
	tests := []struct {
		name string
		run  func(t *testing.T, prefix string, a, b *budgetReplica, up *upstream)
		// served is how many requests the scenario gets through: the
		// budget must hold without starving the callers.
		served int
	}{
		{
			name: "an outage mid-window carries the window's admissions into the fallback",
			run: func(t *testing.T, _ string, a, b *budgetReplica, up *upstream) {
				a.send(t, up, 4)
				b.send(t, up, 4)
				a.loseRedis()
				b.loseRedis()
				a.send(t, up, limit)
				b.send(t, up, limit)
			},
			// The share is 5. b last saw all 8 in the shared window, so it
			// admits nothing more; a last saw only its own 4, so it takes
			// one: 9, never more than 10, however the 8 were split.
			served: 9,
		},
		{
			name: "an outage after another replica's burst counts the burst its heartbeat saw",
			run: func(t *testing.T, _ string, a, b *budgetReplica, up *upstream) {
				b.send(t, up, 9)
				a.budget.Sync(t.Context()) // a's heartbeat
				a.loseRedis()
				b.loseRedis()
				a.send(t, up, limit)
				b.send(t, up, limit)
			},
			served: 9,
		},
		{
			name: "a recovery mid-window re-seeds the shared window before admitting more",
			run: func(t *testing.T, _ string, a, b *budgetReplica, up *upstream) {
				a.loseRedis()
				b.loseRedis()
				a.send(t, up, limit)
				b.send(t, up, limit)
				a.regainRedis()
				b.regainRedis()
				a.send(t, up, limit)
				b.send(t, up, limit)
				a.send(t, up, limit)
			},
			served: limit,
		},
		{
			name: "a flush mid-window is noticed and re-seeded before admitting more",
			run: func(t *testing.T, prefix string, a, b *budgetReplica, up *upstream) {
				a.send(t, up, 4)
				b.send(t, up, 4)
				flush(t, prefix)
				a.send(t, up, limit)
				b.send(t, up, limit)
				a.send(t, up, limit)
			},
			served: limit,
		},
		{
			name: "a replica without traffic re-seeds a flushed window on its heartbeat",
			run: func(t *testing.T, prefix string, a, b *budgetReplica, up *upstream) {
				a.send(t, up, 2)
				b.send(t, up, 6)
				flush(t, prefix)
				a.send(t, up, 1) // a notices and re-seeds; b's six are missing
				b.budget.Sync(t.Context())
				a.send(t, up, limit)
				b.send(t, up, limit)
			},
			served: limit,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rdb := newRedisClient(t)
			prefix := testPrefix(t, rdb)
			a, b := newReplica(t, prefix, limit), newReplica(t, prefix, limit)
			beatAll(t, a, b)
			up := &upstream{}
			tc.run(t, prefix, a, b, up)
			if got := up.busiestMinute(); got > limit {
				t.Errorf("got %d upstream requests in one minute, want at most the budget of %d", got, limit)
			}
			if got := len(up.seen); got != tc.served {
				t.Errorf("got %d requests served, want %d", got, tc.served)
			}
		})
	}
}

// flush deletes every key under prefix, as a FLUSHALL or a Redis restarted
// empty would (without touching the keys others' tests keep in the same
// Redis).
func flush(t *testing.T, prefix string) {
	t.Helper()
	rdb := newRedisClient(t)
	if keys := scanKeys(t.Context(), t, rdb, prefix); len(keys) > 0 {
		if err := rdb.Del(t.Context(), keys...).Err(); err != nil {
			t.Fatalf("flushing %s*: %v", prefix, err)
		}
	}
}

func TestBudgetOutageShareFollowsTheLiveReplicas(t *testing.T) {
	tests := []struct {
		name string
		live int
		want int
	}{
		{"one live replica keeps the whole budget", 1, 12},
		{"two live replicas get half each", 2, 6},
		{"four live replicas get a quarter each", 4, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rdb := newRedisClient(t)
			prefix := testPrefix(t, rdb)
			rs := make([]*budgetReplica, tc.live)
			for i := range rs {
				rs[i] = newReplica(t, prefix, 12)
			}
			beatAll(t, rs...)
			rs[0].loseRedis()
			if got := rs[0].send(t, &upstream{}, 12); got != tc.want {
				t.Errorf("got %d admitted during the outage, want %d", got, tc.want)
			}
			if d, err := rs[0].budget.Status(t.Context()); err != nil || d.Limit != tc.want {
				t.Errorf("Status: got %+v, %v; want the share %d", d, err, tc.want)
			}
		})
	}
}

func TestBudgetRefusalWhileTheWindowIsReseededAsksForOneHeartbeat(t *testing.T) {
	rdb := newRedisClient(t)
	prefix := testPrefix(t, rdb)
	a, b := newReplica(t, prefix, 10), newReplica(t, prefix, 10)
	beatAll(t, a, b)
	up := &upstream{}
	b.send(t, up, 6)
	a.send(t, up, 2) // a has seen b's 6
	flush(t, prefix)

	err := a.budget.Wait(t.Context())
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeUpstreamBudget {
		t.Fatalf("got %v, want %s while b has not re-seeded", err, domain.CodeUpstreamBudget)
	}
	if de.RetryAfter <= 0 || de.RetryAfter > ratelimit.DefaultHeartbeatInterval {
		t.Errorf("got Retry-After %v, want at most one heartbeat (%v)", de.RetryAfter, ratelimit.DefaultHeartbeatInterval)
	}
}
