package mirror

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/redistest"
	"switchboard/internal/sandbox/phonewagonsim"
)

// liveSim is the account the replica tests sync.
var liveSim = phonewagonsim.Account{
	ClientID: simID, ClientSecret: simSecret, Seed: 3, Calls: 300,
	ArrivalEvery: 20 * time.Second, CompleteAfter: time.Minute,
}

// wantHeld checks that store holds every call the simulator served at
// least settle ago.
func wantHeld(t *testing.T, c *cluster, store Store, settle time.Duration) {
	t.Helper()
	d, _ := c.sim.Dataset(simID)
	cutoff := c.clock.Now().Add(-settle).UnixMilli()
	missing := 0
	for _, call := range d.Calls {
		if call.StartTime > cutoff {
			continue
		}
		if _, ok, err := store.Get(t.Context(), account, strconv.FormatInt(call.ID, 10)); err != nil || !ok {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("got %d of the simulator's %d calls missing from the mirror, want none", missing, len(d.Calls))
	}
}

func TestThreeReplicasOnRedisRunOneSyncerPerAccountAndTakeOver(t *testing.T) {
	rdb, prefix := redistest.Open(t)
	c := newCluster(t, liveSim)
	for i := range 3 {
		s := NewRedisStore(rdb, prefix) // each replica its own client view
		c.start(t, "replica-"+strconv.Itoa(i+1), s, s, s)
	}
	c.advance(t, 3*time.Minute)

	first := c.holder(t)
	for _, r := range c.replicas {
		if r != first && r.upstream.count() != 0 {
			t.Errorf("%s, not holding the lease: got %d upstream requests, want none", r.name, r.upstream.count())
		}
	}
	// One syncer in 3 min: 4 backfill pages and the coverage check, a
	// follow every 15 s (13), a revisit (1): three would make three times
	// as many.
	if n := c.sim.RequestCount(); n != first.upstream.count() || n < 15 || n > 25 {
		t.Errorf("got %d simulator requests (%d by the holder), want one syncer's 15..25", n, first.upstream.count())
	}
	wantHeld(t, c, NewRedisStore(rdb, prefix), 20*time.Second)

	stoppedAt := first.upstream.count()
	t.Logf("%s held the lease and made %d requests in 3 min", first.name, stoppedAt)
	c.stop(first)
	var took time.Duration
	for took = 0; took <= 30*time.Second; took += time.Second {
		if held := c.holders.Load(); held == 1 {
			break
		}
		c.advance(t, time.Second)
	}
	if took > 30*time.Second {
		t.Fatalf("got no replica holding the lease 30 s after the holder stopped, want a takeover")
	}
	second := c.holder(t)
	if second == first {
		t.Fatal("got the stopped replica holding the lease")
	}
	c.advance(t, time.Minute)
	if got := first.upstream.count(); got != stoppedAt {
		t.Errorf("stopped replica: got %d requests, want %d (none after it stopped)", got, stoppedAt)
	}
	if second.upstream.count() == 0 {
		t.Errorf("%s took the lease but made no request, want it following", second.name)
	}
	wantHeld(t, c, NewRedisStore(rdb, prefix), 20*time.Second)
	t.Logf("%s took over %v after the holder stopped, and made %d requests in a minute", second.name, took, second.upstream.count())
}

func TestAHolderThatCannotRenewItsLeaseStopsAtOnce(t *testing.T) {
	c := newCluster(t, liveSim)
	store := NewMemoryStore(c.clock.Now)
	cut := &partitioned{Leases: store}
	a := c.start(t, "replica-a", store, cut, store)
	c.advance(t, time.Second)
	if !a.holding.Load() {
		t.Fatal("replica-a: got no lease, want it to hold the free lease")
	}
	b := c.start(t, "replica-b", store, store, store)
	c.advance(t, time.Minute)

	cut.cut.Store(true)
	cutAt, requestsAtCut := c.clock.Now(), a.upstream.count()
	var takeover time.Duration
	for c.clock.Now().Sub(cutAt) <= 30*time.Second {
		c.advance(t, time.Second)
		if a.holding.Load() && c.clock.Now().Sub(cutAt) > DefaultRenewEvery {
			t.Fatalf("replica-a: still working %v after its renewals started failing, want it stopped at the first", c.clock.Now().Sub(cutAt))
		}
		if takeover == 0 && b.holding.Load() {
			takeover = c.clock.Now().Sub(cutAt)
		}
	}
	if takeover == 0 || takeover > 30*time.Second {
		t.Fatalf("replica-b: got no takeover within 30 s of the holder's partition")
	}
	// Within one renewal period the old holder may have made one follow
	// request; none after.
	if got := a.upstream.count() - requestsAtCut; got > 1 {
		t.Errorf("replica-a: got %d requests after the cut, want at most 1", got)
	}
	c.advance(t, time.Minute)
	if b.upstream.count() == 0 {
		t.Errorf("replica-b: got no requests after the takeover, want it following")
	}
	t.Logf("takeover %v after the holder's renewals began to fail", takeover)
}

// brokenState is a Store whose sync state cannot be read.
type brokenState struct{ Store }

func (brokenState) State(context.Context, string) (State, error) {
	return State{}, errors.New("test: the state does not decode")
}

// countingLeases counts the grants.
type countingLeases struct {
	Leases
	grants atomic.Int32
}

func (c *countingLeases) Acquire(ctx context.Context, account, owner string, ttl time.Duration) (int64, bool, error) {
	fence, ok, err := c.Leases.Acquire(ctx, account, owner, ttl)
	if ok {
		c.grants.Add(1)
	}
	return fence, ok, err
}

func TestASyncerWhoseWorkFailsAtOnceRetriesAtTheAcquirePace(t *testing.T) {
	c := newCluster(t, liveSim)
	store := NewMemoryStore(c.clock.Now)
	leases := &countingLeases{Leases: store}
	c.start(t, "replica-a", brokenState{store}, leases, store)
	c.advance(t, time.Minute)
	if got, most := leases.grants.Load(), int32(time.Minute/DefaultAcquireEvery)+1; got > most {
		t.Errorf("got %d lease grants in a minute, want at most %d (one per AcquireEvery)", got, most)
	}
}
