package mirror

import (
	"context"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/ratelimit"
	"switchboard/internal/sandbox/phonewagonsim"
	"switchboard/internal/upstream/phonewagon"
)

// syncStart is the fake time every sync test starts at.
var syncStart = time.Date(2026, time.November, 21, 12, 0, 0, 0, time.UTC)

const (
	simID     = "acme-client"
	simSecret = "acme-secret"
	account   = "http://sim/acme-client"
)

// jumpClock is a fake clock for one goroutine: Sleep moves it forward at
// once and then calls onSleep, which may end the run.
type jumpClock struct {
	mu      sync.Mutex
	now     time.Time
	onSleep func()
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *jumpClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	hook := c.onSleep
	c.mu.Unlock()
	if hook != nil {
		hook()
	}
	return ctx.Err()
}

func (c *jumpClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// lister wraps the upstream: it counts the requests and runs before (when
// set) ahead of each, which may fail it.
type lister struct {
	up     CallLister
	mu     sync.Mutex
	n      int
	before func(n int, q domain.CallsQuery) error
}

func (l *lister) Calls(ctx context.Context, q domain.CallsQuery) (domain.CallsPage, error) {
	l.mu.Lock()
	l.n++
	n, before := l.n, l.before
	l.mu.Unlock()
	if before != nil {
		if err := before(n, q); err != nil {
			return domain.CallsPage{}, err
		}
	}
	return l.up.Calls(ctx, q)
}

func (l *lister) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// syncFixture is the sandbox simulator behind the real Phonewagon client
// and a Budget, a MemoryStore, and a holder's configuration, all on one
// jumpClock.
type syncFixture struct {
	clock    *jumpClock
	sim      *phonewagonsim.Server
	upstream *lister
	store    *MemoryStore
	budget   *ratelimit.MemoryStore // the Budget's window
	cfg      SyncerConfig

	mu       sync.Mutex
	changes  map[string][]Change
	followed map[int64]time.Time // when each follow request was marked followed
}

// markSpy records when follow requests are marked followed.
type markSpy struct {
	FollowRequests
	f *syncFixture
}

func (m markSpy) MarkFollowed(ctx context.Context, account string, fence, seq int64) error {
	if err := m.FollowRequests.MarkFollowed(ctx, account, fence, seq); err != nil {
		return err
	}
	m.f.mu.Lock()
	defer m.f.mu.Unlock()
	m.f.followed[seq] = m.f.clock.Now()
	return nil
}

// followedAt returns when follow request seq was served, zero before.
func (f *syncFixture) followedAt(seq int64) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	var at time.Time
	for s, t := range f.followed {
		if s >= seq && (at.IsZero() || t.Before(at)) {
			at = t
		}
	}
	return at
}

// newSyncFixture builds a fixture; acct and cfg tweak the simulated
// account (200 calls by default) and the syncer's configuration.
func newSyncFixture(t testing.TB, acct func(*phonewagonsim.Account), cfg func(*SyncerConfig)) *syncFixture {
	t.Helper()
	f := &syncFixture{clock: &jumpClock{now: syncStart}, changes: map[string][]Change{}, followed: map[int64]time.Time{}}
	a := phonewagonsim.Account{ClientID: simID, ClientSecret: simSecret, Seed: 1, Calls: 200}
	if acct != nil {
		acct(&a)
	}
	sim, err := phonewagonsim.New(phonewagonsim.Config{
		Accounts: []phonewagonsim.Account{a},
		Now:      f.clock.Now,
		Anchor:   syncStart.Add(-time.Hour),
		// The sync must stay within the budget; the simulator's own limit
		// would answer 429 if it did not.
	})
	if err != nil {
		t.Fatalf("phonewagonsim.New: %v", err)
	}
	f.sim = sim
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	f.budget = ratelimit.NewMemoryStore(f.clock.Now)
	budget, err := ratelimit.NewBudget(ratelimit.BudgetConfig{
		Account: account, Limit: 50, Store: f.budget,
		Now: f.clock.Now, Sleep: f.clock.Sleep,
	})
	if err != nil {
		t.Fatalf("NewBudget: %v", err)
	}
	client, err := phonewagon.New(phonewagon.Config{
		BaseURL: srv.URL, ClientID: simID, ClientSecret: simSecret, Budget: budget, Now: f.clock.Now,
	})
	if err != nil {
		t.Fatalf("phonewagon.New: %v", err)
	}
	f.upstream = &lister{up: phonewagon.NewService(client, nil)}
	f.store = NewMemoryStore(f.clock.Now)
	c := SyncerConfig{
		Account: account, Owner: "replica-1", Upstream: f.upstream,
		Store: f.store, Leases: f.store, Follows: markSpy{FollowRequests: f.store, f: f}, Clock: f.clock,
		OnChange: func(ch Change, call domain.Call) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.changes[call.ID] = append(f.changes[call.ID], ch)
			return nil
		},
	}
	if cfg != nil {
		cfg(&c)
	}
	s, err := NewSyncer(c)
	if err != nil {
		t.Fatalf("NewSyncer: %v", err)
	}
	f.cfg = s.cfg
	return f
}

// lease takes the account's lease for ttl and returns its fence.
func (f *syncFixture) lease(t testing.TB, owner string, ttl time.Duration) int64 {
	t.Helper()
	fence, ok, err := f.store.Acquire(t.Context(), account, owner, ttl)
	if err != nil || !ok {
		t.Fatalf("Acquire: got %v, %v; want the lease", ok, err)
	}
	return fence
}

// run runs a holder with fence until stop says so (checked after every
// sleep of the clock) or the holder ends; it returns the holder's error,
// nil when stop ended it.
func (f *syncFixture) run(t testing.TB, fence int64, stop func() bool) error {
	t.Helper()
	ctx, cancel := context.WithCancel(ratelimit.WithLane(t.Context(), ratelimit.Background))
	defer cancel()
	f.clock.mu.Lock()
	f.clock.onSleep = func() {
		if stop() {
			cancel()
		}
	}
	f.clock.mu.Unlock()
	err := (&holder{cfg: &f.cfg, clock: f.clock, fence: fence}).run(ctx)
	if ctx.Err() != nil && t.Context().Err() == nil {
		return nil
	}
	return err
}

// runFor runs a holder with fence for d of fake time.
func (f *syncFixture) runFor(t testing.TB, fence int64, d time.Duration) {
	t.Helper()
	end := f.clock.Now().Add(d)
	if err := f.run(t, fence, func() bool { return !f.clock.Now().Before(end) }); err != nil {
		t.Fatalf("holder: got %v, want it to run %v", err, d)
	}
}

// state reads the account's sync state.
func (f *syncFixture) state(t testing.TB) State {
	t.Helper()
	st, err := f.store.State(t.Context(), account)
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	return st
}

// held returns every call the mirror holds, in serving order, failing the
// test when one comes twice.
func (f *syncFixture) held(t testing.TB) map[string]domain.Call {
	t.Helper()
	out := map[string]domain.Call{}
	q := Query{Limit: 1000}
	for {
		p, err := f.store.Query(t.Context(), account, q)
		if err != nil {
			t.Fatalf("Query: %v", err)
		}
		for _, c := range p.Calls {
			if _, dup := out[c.ID]; dup {
				t.Fatalf("got call %s twice in the mirror, want once", c.ID)
			}
			out[c.ID] = c
		}
		if p.Next == nil {
			return out
		}
		q.After = p.Next
	}
}

// upstreamCalls returns the simulator's calls started at or after since,
// as it serves them now.
func (f *syncFixture) upstreamCalls(t testing.TB, since time.Time) map[string]phonewagonsim.Call {
	t.Helper()
	d, ok := f.sim.Dataset(simID)
	if !ok {
		t.Fatal("the simulator has no acme account")
	}
	out := map[string]phonewagonsim.Call{}
	for _, c := range d.Calls {
		if c.StartTime >= since.UnixMilli() {
			out[strconv.FormatInt(c.ID, 10)] = c
		}
	}
	return out
}

// wantMirror checks that the mirror holds exactly the simulator's calls
// started at or after since, each once.
func (f *syncFixture) wantMirror(t testing.TB, since time.Time) {
	t.Helper()
	held, want := f.held(t), f.upstreamCalls(t, since)
	missing, extra := 0, 0
	for id := range want {
		if _, ok := held[id]; !ok {
			missing++
			if missing <= 3 {
				t.Errorf("call %s (start %d) is upstream but not in the mirror", id, want[id].StartTime)
			}
		}
	}
	for id := range held {
		if _, ok := want[id]; !ok {
			extra++
			if extra <= 3 {
				t.Errorf("call %s is in the mirror but not upstream since %v", id, since)
			}
		}
	}
	if missing+extra > 0 {
		t.Errorf("got %d calls held, %d missing, %d extra; want the %d upstream", len(held), missing, extra, len(want))
	}
	if n, err := f.store.Count(t.Context(), account); err != nil || n != len(want) {
		t.Errorf("Count: got %d (%v), want %d", n, err, len(want))
	}
}

// changesOf returns what OnChange was told about call id.
func (f *syncFixture) changesOf(id string) []Change {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Change(nil), f.changes[id]...)
}
