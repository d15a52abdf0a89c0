package mirror

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/redistest"
)

// errKilled is what a killed replica's store calls return.
var errKilled = errors.New("the replica's process is gone")

// killable is a Store a test kills: from then on every call fails, as if
// the replica's process were gone, so that nothing its holder does after
// the kill reaches the store.
type killable struct {
	Store
	dead atomic.Bool
}

func (k *killable) check() error {
	if k.dead.Load() {
		return errKilled
	}
	return nil
}

func (k *killable) Upsert(ctx context.Context, account string, fence int64, calls []domain.Call) ([]Change, error) {
	if err := k.check(); err != nil {
		return nil, err
	}
	return k.Store.Upsert(ctx, account, fence, calls)
}

func (k *killable) UpsertPending(ctx context.Context, account string, fence int64, calls []domain.Call) ([]Change, error) {
	if err := k.check(); err != nil {
		return nil, err
	}
	return k.Store.UpsertPending(ctx, account, fence, calls)
}

func (k *killable) Pending(ctx context.Context, account string) ([]PendingChange, error) {
	if err := k.check(); err != nil {
		return nil, err
	}
	return k.Store.Pending(ctx, account)
}

func (k *killable) Announced(ctx context.Context, account string, fence int64, ids []string) error {
	if err := k.check(); err != nil {
		return err
	}
	return k.Store.Announced(ctx, account, fence, ids)
}

func (k *killable) Get(ctx context.Context, account, id string) (domain.Call, bool, error) {
	if err := k.check(); err != nil {
		return domain.Call{}, false, err
	}
	return k.Store.Get(ctx, account, id)
}

func (k *killable) Trim(ctx context.Context, account string, fence int64, before time.Time) error {
	if err := k.check(); err != nil {
		return err
	}
	return k.Store.Trim(ctx, account, fence, before)
}

func (k *killable) State(ctx context.Context, account string) (State, error) {
	if err := k.check(); err != nil {
		return State{}, err
	}
	return k.Store.State(ctx, account)
}

func (k *killable) SaveState(ctx context.Context, account string, fence int64, s State) error {
	if err := k.check(); err != nil {
		return err
	}
	return k.Store.SaveState(ctx, account, fence, s)
}

// createdCounts returns, for each call that arrived upstream after the
// backfill's start and at least settle before now, how many times
// OnChange was told it was created, and fails t when that is not its
// first change.
func createdCounts(t *testing.T, f *syncFixture, settle time.Duration) map[string]int {
	t.Helper()
	cutoff := f.clock.Now().Add(-settle).UnixMilli()
	out := map[string]int{}
	for id, c := range f.upstreamCalls(t, syncStart.Add(time.Second)) {
		if c.StartTime > cutoff {
			continue
		}
		changes := f.changesOf(id)
		for _, ch := range changes {
			if ch == Created {
				out[id]++
			}
		}
		if len(changes) > 0 && changes[0] != Created {
			t.Errorf("call %s: got changes %v, want created first", id, changes)
		}
	}
	if len(out) < 20 {
		t.Fatalf("got %d calls arriving during the run, want a few dozen", len(out))
	}
	return out
}

func TestAFailedAnnouncementIsGivenAgainBeforeAnyOtherWork(t *testing.T) {
	f := newSyncFixture(t, liveAccount(20*time.Second, 2*time.Minute, 0),
		func(c *SyncerConfig) { c.Retention = 200 * 24 * time.Hour; c.PollEvery = 5 * time.Second })
	record := f.cfg.OnChange
	var n, failed int
	f.cfg.OnChange = func(ch Change, call domain.Call) error {
		// Every third announcement fails unrecorded (the event log is
		// unavailable), and twenty in a row once (a longer outage).
		if n++; n%3 == 0 || (n >= 40 && n < 60) {
			failed++
			return errors.New("event log unavailable")
		}
		return record(ch, call)
	}
	fence := f.lease(t, "r1", 24*time.Hour)
	f.runFor(t, fence, 30*time.Minute)
	if failed < 40 {
		t.Fatalf("got %d failed announcements, want dozens", failed)
	}
	// The log works again: what the last failure left is given within a
	// retry.
	f.cfg.OnChange = record
	f.runFor(t, fence, f.cfg.RetryEvery+time.Second)
	for id, n := range createdCounts(t, f, f.cfg.SyncInterval+f.cfg.RetryEvery+5*time.Second) {
		if n != 1 {
			t.Errorf("call %s: announced as created %d times, want once: a failed announcement records nothing", id, n)
		}
	}
	if p := mustPending(t, f.store, account); len(p) != 0 {
		t.Errorf("after the run: %d changes still pending, want none", len(p))
	}
}

func TestChangesOfAHolderKilledBeforeAnnouncingThemAreAnnouncedByTheNext(t *testing.T) {
	stores := []struct {
		name string
		open func(t *testing.T, f *syncFixture) fullStore
	}{
		{"memory", func(t *testing.T, f *syncFixture) fullStore { return f.store }},
		{"redis", func(t *testing.T, f *syncFixture) fullStore {
			rdb, prefix := redistest.Open(t)
			return NewRedisStore(rdb, prefix)
		}},
	}
	kills := []struct {
		name string
		// recorded: the kill comes after the event was recorded and
		// before the store heard of it (the change is announced twice);
		// else before it was recorded (it must be announced once).
		recorded bool
	}{
		{"before the event is recorded", false},
		{"after the event is recorded, before it is cleared", true},
	}
	for _, sc := range stores {
		for _, kill := range kills {
			t.Run(sc.name+": killed "+kill.name, func(t *testing.T) {
				f := newSyncFixture(t, liveAccount(20*time.Second, 2*time.Minute, 0),
					func(c *SyncerConfig) { c.Retention = 200 * 24 * time.Hour; c.PollEvery = 5 * time.Second })
				s := sc.open(t, f)
				k := &killable{Store: s}
				f.cfg.Store, f.cfg.Leases, f.cfg.Follows = k, s, markSpy{FollowRequests: s, f: f}
				record := f.cfg.OnChange
				var n int
				var killedAt string
				f.cfg.OnChange = func(ch Change, call domain.Call) error {
					if n++; n == 12 && !k.dead.Load() {
						killedAt = call.ID
						if kill.recorded {
							_ = record(ch, call)
						}
						k.dead.Store(true)
						return errKilled
					}
					return record(ch, call)
				}
				fence1, ok, err := s.Acquire(t.Context(), account, "replica-1", 24*time.Hour)
				if err != nil || !ok {
					t.Fatalf("Acquire: %v, %v", ok, err)
				}
				if err := f.run(t, fence1, k.dead.Load); err != nil && !errors.Is(err, errKilled) {
					t.Fatalf("the first holder: %v", err)
				}
				if killedAt == "" {
					t.Fatal("the first holder was never killed")
				}
				pending := mustPending(t, s, account)
				if _, ok := pending[killedAt]; !ok {
					t.Fatalf("the change of call %s the holder was killed announcing is not pending (%v): the kill missed the window", killedAt, pending)
				}
				// A pending change already announced before the kill (in
				// the killed page, not cleared) is announced again.
				again := map[string]bool{}
				for id, ch := range pending {
					if got := f.changesOf(id); len(got) > 0 && got[len(got)-1] == ch {
						again[id] = true
					}
				}
				if again[killedAt] != kill.recorded {
					t.Fatalf("call %s: announced before the kill: %v, want %v", killedAt, again[killedAt], kill.recorded)
				}

				// The dead holder's lease ends (released here: the
				// fencing is the same as when it runs out); another
				// replica takes over.
				if err := s.Release(t.Context(), account, fence1); err != nil {
					t.Fatalf("Release: %v", err)
				}
				fence2, ok, err := s.Acquire(t.Context(), account, "replica-2", 24*time.Hour)
				if err != nil || !ok {
					t.Fatalf("Acquire by the next holder: %v, %v", ok, err)
				}
				f.cfg.Store = s
				f.runFor(t, fence2, 10*time.Minute)

				// No change is lost: every call was announced created,
				// then updated once it completed. A change is announced
				// again only when it was pending at the kill, once.
				settle := f.cfg.SyncInterval + 5*time.Second
				createdCounts(t, f, settle)
				cutoff := f.clock.Now().Add(-settle)
				for id, c := range f.upstreamCalls(t, syncStart.Add(time.Second)) {
					changes := f.changesOf(id)
					var distinct []Change
					repeats := 0
					for i, ch := range changes {
						if i > 0 && ch == changes[i-1] {
							repeats++
							continue
						}
						distinct = append(distinct, ch)
					}
					completed := c.Status == "completed" && time.UnixMilli(c.StartTime).Add(2*time.Minute).Before(cutoff)
					if want := []Change{Created, Updated}; completed && !slices.Equal(distinct, want) {
						t.Errorf("call %s (completed upstream): got changes %v, want %v with at most one repeat", id, changes, want)
					}
					_, wasPending := pending[id]
					wantRepeats := 0
					if again[id] {
						wantRepeats = 1
					}
					if repeats != wantRepeats {
						t.Errorf("call %s: got changes %v (%d repeated), want %d repeated (pending at the kill: %v)", id, changes, repeats, wantRepeats, wasPending)
					}
				}
				if p := mustPending(t, s, account); len(p) != 0 {
					t.Errorf("after the next holder ran: %d changes still pending, want none", len(p))
				}
			})
		}
	}
}

// clearFails is a Store whose first Announced that clears something fails
// (a Redis blip after the events were recorded).
type clearFails struct {
	Store
	failed atomic.Bool
	ids    []string // what the failed call was to clear
}

func (c *clearFails) Announced(ctx context.Context, account string, fence int64, ids []string) error {
	if len(ids) > 0 && c.failed.CompareAndSwap(false, true) {
		c.ids = append([]string(nil), ids...)
		return errors.New("connection reset")
	}
	return c.Store.Announced(ctx, account, fence, ids)
}

func TestChangesWhoseClearingFailedAreAnnouncedAgainAtTheNextPage(t *testing.T) {
	f := newSyncFixture(t, liveAccount(20*time.Second, 2*time.Minute, 0),
		func(c *SyncerConfig) { c.Retention = 200 * 24 * time.Hour; c.PollEvery = 5 * time.Second })
	cf := &clearFails{Store: f.store}
	f.cfg.Store = cf
	fence := f.lease(t, "r1", 24*time.Hour)
	f.runFor(t, fence, 10*time.Minute)
	if len(cf.ids) == 0 {
		t.Fatal("no clearing failed: the test proves nothing")
	}
	if p := mustPending(t, f.store, account); len(p) != 0 {
		t.Errorf("after the run: %d changes still pending, want none (the failed clearing is drained)", len(p))
	}
	for _, id := range cf.ids {
		changes := f.changesOf(id)
		if len(changes) < 2 || changes[0] != changes[1] {
			t.Errorf("call %s, whose clearing failed: got changes %v, want its change announced again", id, changes)
		}
	}
	for id, n := range createdCounts(t, f, f.cfg.SyncInterval+5*time.Second) {
		if n > 1 && !slices.Contains(cf.ids, id) {
			t.Errorf("call %s: announced as created %d times, but its clearing never failed", id, n)
		}
	}
}
