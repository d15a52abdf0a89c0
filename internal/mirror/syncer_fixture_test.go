package mirror

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/ratelimit"
	"switchboard/internal/sandbox/phonewagonsim"
	"switchboard/internal/upstream/phonewagon"
)

// waitClock is a fake clock for many goroutines: Sleep blocks until the
// test advances the clock past its end. BlockUntil waits until a given
// number of goroutines sleep, that is until everything the test started
// has done what it could at the current instant.
type waitClock struct {
	mu      sync.Mutex
	cond    *sync.Cond
	now     time.Time
	waiters map[*sleeper]bool
	stuck   bool
}

type sleeper struct {
	until time.Time
	wake  chan struct{}
}

func newWaitClock(t time.Time) *waitClock {
	c := &waitClock{now: t, waiters: map[*sleeper]bool{}}
	c.cond = sync.NewCond(&c.mu)
	return c
}

func (c *waitClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *waitClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	s := &sleeper{wake: make(chan struct{})}
	c.mu.Lock()
	s.until = c.now.Add(d)
	c.waiters[s] = true
	c.cond.Broadcast()
	c.mu.Unlock()
	select {
	case <-s.wake:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.waiters, s)
		c.cond.Broadcast()
		c.mu.Unlock()
		return ctx.Err()
	}
}

// Advance moves the clock and wakes the sleepers whose time came.
func (c *waitClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for s := range c.waiters {
		if !s.until.After(c.now) {
			close(s.wake)
			delete(c.waiters, s)
		}
	}
}

// Poke makes BlockUntil look again (its count changed).
func (c *waitClock) Poke() {
	c.mu.Lock()
	c.cond.Broadcast()
	c.mu.Unlock()
}

// BlockUntil waits until n() goroutines sleep; it fails the test after 20 s
// of real time, when something is stuck outside the clock.
func (c *waitClock) BlockUntil(t *testing.T, n func() int) {
	t.Helper()
	watchdog := time.AfterFunc(20*time.Second, func() {
		c.mu.Lock()
		c.stuck = true
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer watchdog.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.waiters) != n() {
		if c.stuck {
			t.Fatalf("got %d goroutines sleeping, want %d", len(c.waiters), n())
		}
		c.cond.Wait()
	}
}

// replica is one gateway replica's syncer for the account.
type replica struct {
	name     string
	upstream *lister
	cancel   context.CancelFunc
	done     chan struct{}
	holding  atomic.Bool
	grants   atomic.Int32
}

// cluster is several replicas syncing one simulated account on shared
// state, on one waitClock.
type cluster struct {
	clock    *waitClock
	sim      *phonewagonsim.Server
	srvURL   string
	budgets  ratelimit.Store
	replicas []*replica
	running  atomic.Int32
	holders  atomic.Int32
}

func newCluster(t *testing.T, acct phonewagonsim.Account) *cluster {
	t.Helper()
	c := &cluster{clock: newWaitClock(syncStart)}
	sim, err := phonewagonsim.New(phonewagonsim.Config{
		Accounts: []phonewagonsim.Account{acct}, Now: c.clock.Now, Anchor: syncStart.Add(-time.Hour),
	})
	if err != nil {
		t.Fatalf("phonewagonsim.New: %v", err)
	}
	c.sim = sim
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c.srvURL = srv.URL
	c.budgets = ratelimit.NewMemoryStore(c.clock.Now)
	return c
}

// start runs a replica's syncer on the given shared state.
func (c *cluster) start(t *testing.T, name string, store Store, leases Leases, follows FollowRequests) *replica {
	t.Helper()
	budget, err := ratelimit.NewBudget(ratelimit.BudgetConfig{
		Account: account, Limit: 50, Store: c.budgets, Now: c.clock.Now, Sleep: c.clock.Sleep,
	})
	if err != nil {
		t.Fatalf("NewBudget: %v", err)
	}
	client, err := phonewagon.New(phonewagon.Config{
		BaseURL: c.srvURL, ClientID: simID, ClientSecret: simSecret, Budget: budget, Now: c.clock.Now,
	})
	if err != nil {
		t.Fatalf("phonewagon.New: %v", err)
	}
	r := &replica{name: name, upstream: &lister{up: phonewagon.NewService(client, nil)}, done: make(chan struct{})}
	s, err := NewSyncer(SyncerConfig{
		Account: account, Owner: name, Upstream: r.upstream, Store: store, Leases: leases, Follows: follows,
		Retention: 200 * 24 * time.Hour, PageSize: 100, Clock: c.clock,
		Logger: slog.New(slog.DiscardHandler),
		OnLease: func(held bool) {
			r.holding.Store(held)
			if held {
				r.grants.Add(1)
				c.holders.Add(1)
			} else {
				c.holders.Add(-1)
			}
			c.clock.Poke()
		},
	})
	if err != nil {
		t.Fatalf("NewSyncer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	c.running.Add(1)
	go func() {
		defer close(r.done)
		s.Run(ctx)
	}()
	t.Cleanup(func() { c.stop(r) })
	c.replicas = append(c.replicas, r)
	return r
}

// stop ends a replica's syncer and waits for it (it releases its lease).
func (c *cluster) stop(r *replica) {
	select {
	case <-r.done:
		return
	default:
	}
	r.cancel()
	<-r.done
	c.running.Add(-1)
	c.clock.Poke()
}

// sleeping is how many goroutines sleep once everything settled: one per
// running replica, plus a holder's lease renewal.
func (c *cluster) sleeping() int {
	return int(c.running.Load() + c.holders.Load())
}

// advance lets d of fake time pass in steps of one second, letting every
// replica settle at each.
func (c *cluster) advance(t *testing.T, d time.Duration) {
	t.Helper()
	for end := c.clock.Now().Add(d); c.clock.Now().Before(end); {
		c.clock.BlockUntil(t, c.sleeping)
		c.clock.Advance(time.Second)
	}
	c.clock.BlockUntil(t, c.sleeping)
}

// holder returns the replica holding the lease, failing when not exactly
// one does.
func (c *cluster) holder(t *testing.T) *replica {
	t.Helper()
	var held []*replica
	for _, r := range c.replicas {
		if r.holding.Load() {
			held = append(held, r)
		}
	}
	if len(held) != 1 {
		t.Fatalf("got %d replicas holding the lease, want 1", len(held))
	}
	return held[0]
}

// partitioned is Leases that fail once cut is set: a replica cut off from
// the shared state.
type partitioned struct {
	Leases
	cut atomic.Bool
}

var errPartitioned = errors.New("test: the shared state is unreachable")

func (p *partitioned) Acquire(ctx context.Context, account, owner string, ttl time.Duration) (int64, bool, error) {
	if p.cut.Load() {
		return 0, false, errPartitioned
	}
	return p.Leases.Acquire(ctx, account, owner, ttl)
}

func (p *partitioned) Renew(ctx context.Context, account string, fence int64, ttl time.Duration) (bool, error) {
	if p.cut.Load() {
		return false, errPartitioned
	}
	return p.Leases.Renew(ctx, account, fence, ttl)
}

func (p *partitioned) Release(ctx context.Context, account string, fence int64) error {
	if p.cut.Load() {
		return errPartitioned
	}
	return p.Leases.Release(ctx, account, fence)
}
