package mirror

import (
	"testing"
	"time"

	"switchboard/internal/ratelimit"
	"switchboard/internal/sandbox/phonewagonsim"
)

// liveAccount makes the simulated account receive a call every 20 s on
// average from the start, 50 calls of history before.
func liveAccount(every, completeAfter, lateBy time.Duration) func(*phonewagonsim.Account) {
	return func(a *phonewagonsim.Account) {
		a.Calls = 50
		a.ArrivalEvery = every
		a.CompleteAfter = completeAfter
		a.LateBy = lateBy
	}
}

func TestFollowMakesANewCallReadableWithinTheSyncIntervalAnd5s(t *testing.T) {
	f := newSyncFixture(t, liveAccount(20*time.Second, 2*time.Minute, 0),
		func(c *SyncerConfig) { c.Retention = 200 * 24 * time.Hour; c.PollEvery = 5 * time.Second })
	bound := f.cfg.SyncInterval + 5*time.Second
	end := syncStart.Add(30 * time.Minute)
	late, known := 0, map[string]bool{}
	stop := func() bool {
		now := f.clock.Now()
		if f.state(t).BackfillDone {
			for id, c := range f.upstreamCalls(t, syncStart) {
				if known[id] || c.StartTime > now.Add(-bound).UnixMilli() {
					continue
				}
				_, ok, err := f.store.Get(t.Context(), account, id)
				if err != nil {
					t.Fatalf("Get: %v", err)
				}
				known[id] = ok
				if !ok {
					late++
					if late <= 3 {
						t.Errorf("at %v: call %s started at %v is upstream but not readable after %v",
							now.Sub(syncStart), id, time.UnixMilli(c.StartTime).Sub(syncStart), bound)
					}
				}
			}
		}
		return !now.Before(end)
	}
	if err := f.run(t, f.lease(t, "r1", 24*time.Hour), stop); err != nil {
		t.Fatalf("holder: %v", err)
	}
	arrived := f.upstreamCalls(t, syncStart.Add(time.Second))
	if len(arrived) < 30 {
		t.Fatalf("got %d calls arriving in 30 min, want a few a minute", len(arrived))
	}
	for id := range arrived {
		if got := f.changesOf(id); len(got) == 0 || got[0] != Created {
			t.Errorf("call %s: got changes %v, want created first", id, got)
		}
	}
	if st := f.state(t); end.Sub(st.SyncedAt) > f.cfg.SyncInterval {
		t.Errorf("got synced_at %v before the end, want within %v", end.Sub(st.SyncedAt), f.cfg.SyncInterval)
	}
}

func TestFollowCatchesACallListedAfterNewerOnes(t *testing.T) {
	cases := []struct {
		name        string
		overlap     time.Duration
		wantMissing bool
	}{
		{"with the default overlap every late call is caught", 0, false},
		{"without an overlap late calls are lost (the overlap is what catches them)", time.Millisecond, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newSyncFixture(t, liveAccount(15*time.Second, time.Minute, 3*time.Minute), func(cfg *SyncerConfig) {
				cfg.Retention = 200 * 24 * time.Hour
				cfg.Overlap = c.overlap
				cfg.RevisitInterval = 24 * time.Hour // only the follow may catch them
				cfg.PollEvery = 15 * time.Second
			})
			f.runFor(t, f.lease(t, "r1", 24*time.Hour), 40*time.Minute)
			// Calls of the last few minutes may still be invisible upstream
			// or not yet followed; everything before is settled.
			held := f.held(t)
			missing := 0
			for id, call := range f.upstreamCalls(t, time.Time{}) {
				if _, ok := held[id]; !ok && call.StartTime < f.clock.Now().Add(-5*time.Minute).UnixMilli() {
					missing++
				}
			}
			if got := missing > 0; got != c.wantMissing {
				t.Errorf("got %d late calls missing, want missing: %v", missing, c.wantMissing)
			}
		})
	}
}

func TestRevisitUpdatesACompletedCallWithinItsBound(t *testing.T) {
	// Calls complete 30 min after they start: past the follow's overlap,
	// so only the revisit can see the change.
	const completeAfter = 30 * time.Minute
	f := newSyncFixture(t, liveAccount(time.Minute, completeAfter, 0), func(c *SyncerConfig) {
		c.Retention = 200 * 24 * time.Hour
		c.SyncInterval = time.Minute // fewer follows: the revisit is under test
		c.PollEvery = 15 * time.Second
	})
	bound := f.cfg.RevisitInterval + f.cfg.SyncInterval + 5*time.Second
	end := syncStart.Add(80 * time.Minute)
	stale, checked := 0, map[string]bool{}
	var lastCheck time.Time
	stop := func() bool {
		now := f.clock.Now()
		if now.Sub(lastCheck) < 10*time.Second && now.Before(end) {
			return false // checking every 10 s of fake time is enough to see a stale call
		}
		lastCheck = now
		held := f.held(t)
		for id, c := range f.upstreamCalls(t, syncStart.Add(time.Second)) {
			changedAt := time.UnixMilli(c.StartTime).Add(completeAfter)
			if now.Sub(changedAt) < bound {
				continue
			}
			checked[id] = true
			h, ok := held[id]
			if !ok || h.Status == nil || *h.Status != c.Status {
				stale++
				if stale <= 3 {
					t.Errorf("at %v: call %s changed %v ago upstream to %q, mirror holds %v", now.Sub(syncStart), id, now.Sub(changedAt), c.Status, h.Status)
				}
			}
		}
		return !now.Before(end)
	}
	if err := f.run(t, f.lease(t, "r1", 24*time.Hour), stop); err != nil {
		t.Fatalf("holder: %v", err)
	}
	if len(checked) < 20 {
		t.Fatalf("got %d changed calls checked, want a few dozen", len(checked))
	}
	for id := range checked {
		got := f.changesOf(id)
		if len(got) != 2 || got[0] != Created || got[1] != Updated {
			t.Errorf("call %s: got changes %v, want created then updated once", id, got)
		}
	}
}

func TestFollowRequestIsServedWithoutWaitingForTheInterval(t *testing.T) {
	f := newSyncFixture(t, liveAccount(20*time.Second, time.Minute, 0), func(c *SyncerConfig) {
		c.Retention = 200 * 24 * time.Hour
		c.SyncInterval = time.Hour
	})
	fence := f.lease(t, "r1", 2*time.Hour)
	f.runFor(t, fence, 2*time.Minute) // backfill and the first follow
	requestedAt := f.clock.Now()
	seq, err := f.store.RequestFollow(t.Context(), account)
	if err != nil {
		t.Fatalf("RequestFollow: %v", err)
	}
	err = f.run(t, fence, func() bool {
		return !f.followedAt(seq).IsZero() || f.clock.Now().Sub(requestedAt) > 10*time.Minute
	})
	if err != nil {
		t.Fatalf("holder: %v", err)
	}
	servedAt := f.followedAt(seq)
	if servedAt.IsZero() || servedAt.Sub(requestedAt) > f.cfg.PollEvery+time.Second {
		t.Fatalf("got the follow request served after %v, want within %v", servedAt.Sub(requestedAt), f.cfg.PollEvery+time.Second)
	}
	// The follow it ran holds every call visible when it was requested.
	held := f.held(t)
	for id, c := range f.upstreamCalls(t, syncStart) {
		if _, ok := held[id]; !ok && c.StartTime <= requestedAt.UnixMilli() {
			t.Errorf("call %s started before the request is not held", id)
		}
	}
	if st := f.state(t); st.SyncedAt.Before(requestedAt) {
		t.Errorf("got synced_at %v, want at or after the request %v", st.SyncedAt, requestedAt)
	}
}

func TestStatusNamesTheSyncState(t *testing.T) {
	cases := []struct {
		name string
		st   State
		want string
	}{
		{"before the backfill completes it is backfilling", State{}, "backfilling"},
		{"after it the mirror is following", State{BackfillDone: true}, "following"},
		{"a failed last request is failing, whatever the phase", State{BackfillDone: true, LastError: "upstream-unavailable"}, "failing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Status(c.st); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestFollowRequestIsServedWhenTheBackgroundLaneIsFull(t *testing.T) {
	f := newSyncFixture(t, liveAccount(20*time.Second, time.Minute, 0), func(c *SyncerConfig) {
		c.Retention = 200 * 24 * time.Hour
		c.SyncInterval = time.Hour
		c.RevisitInterval = 24 * time.Hour
	})
	fence := f.lease(t, "r1", 2*time.Hour)
	f.runFor(t, fence, 2*time.Minute)
	// Other work of the account filled the background lane (40 of 50).
	for {
		d, err := f.budget.Admit(t.Context(), account, ratelimit.LaneLimit(50, ratelimit.Background), ratelimit.Window+ratelimit.DefaultMargin)
		if err != nil {
			t.Fatalf("Admit: %v", err)
		}
		if !d.Admitted {
			break
		}
	}
	requestedAt := f.clock.Now()
	seq, err := f.store.RequestFollow(t.Context(), account)
	if err != nil {
		t.Fatalf("RequestFollow: %v", err)
	}
	err = f.run(t, fence, func() bool {
		return !f.followedAt(seq).IsZero() || f.clock.Now().Sub(requestedAt) > 10*time.Minute
	})
	if err != nil {
		t.Fatalf("holder: %v", err)
	}
	servedAt := f.followedAt(seq)
	if servedAt.IsZero() || servedAt.Sub(requestedAt) > f.cfg.PollEvery+time.Second {
		t.Errorf("got the follow request served after %v, want within %v: a caller waits for it", servedAt.Sub(requestedAt), f.cfg.PollEvery+time.Second)
	}
}
