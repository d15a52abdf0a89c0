package mirror

import (
	"net/http"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/sandbox/fault"
)

func TestCallsPastTheRetentionAreTrimmedAndCoverageFollows(t *testing.T) {
	const retention = time.Hour
	f := newSyncFixture(t, liveAccount(30*time.Second, time.Minute, 0), func(c *SyncerConfig) {
		c.Retention = retention
		c.Revisit = 30 * time.Minute
		c.SyncInterval = time.Minute
		c.PollEvery = 30 * time.Second
	})
	f.runFor(t, f.lease(t, "r1", 24*time.Hour), 80*time.Minute)
	now := f.clock.Now()
	st := f.state(t)
	// Trimming runs after each revisit, every RevisitInterval.
	oldest := now.Add(-retention - f.cfg.RevisitInterval)
	if st.CoveredFrom.Before(oldest) || st.CoveredFrom.After(now.Add(-retention)) {
		t.Errorf("got covered_from %v before now, want between %v and %v", now.Sub(st.CoveredFrom), retention, retention+f.cfg.RevisitInterval)
	}
	held := f.held(t)
	for id, c := range held {
		if c.StartedAt.Before(oldest) {
			t.Errorf("call %s started %v ago is still held, want it trimmed", id, now.Sub(*c.StartedAt))
		}
	}
	for id, c := range f.upstreamCalls(t, st.CoveredFrom) {
		if _, ok := held[id]; !ok && c.StartTime <= now.Add(-f.cfg.SyncInterval-5*time.Second).UnixMilli() {
			t.Errorf("call %s started after covered_from is not held", id)
		}
	}
}

func TestWatermarkMovesOnlyWhenAFollowCompletes(t *testing.T) {
	f := newSyncFixture(t, liveAccount(5*time.Second, time.Minute, 0), func(c *SyncerConfig) {
		c.Retention = 200 * 24 * time.Hour
		c.PageSize = 5
		c.RevisitInterval = 24 * time.Hour
	})
	fence := f.lease(t, "r1", 24*time.Hour)
	f.runFor(t, fence, 3*time.Minute)
	before := f.state(t)
	var during State
	var failedOn domain.CallsQuery
	var resumedWith domain.CallsQuery
	failAt := f.upstream.count() + 2 // the next follow's second page
	f.upstream.before = func(n int, q domain.CallsQuery) error {
		switch n {
		case failAt:
			failedOn = q
			f.sim.InjectFault(fault.Fault{Status: http.StatusServiceUnavailable, Times: 1, PathPrefix: "/calls"})
		case failAt + 1:
			during, resumedWith = f.state(t), q
		}
		return nil
	}
	f.runFor(t, fence, time.Minute)
	if failedOn.End.IsZero() {
		t.Fatalf("the follow had no second page to fail (query %+v); the test proves nothing", failedOn)
	}
	if !during.Newest.Equal(before.Newest) || !during.SyncedAt.Equal(before.SyncedAt) {
		t.Errorf("after a failed page: got newest %v, synced_at %v; want them unchanged at %v, %v",
			during.Newest, during.SyncedAt, before.Newest, before.SyncedAt)
	}
	if during.LastError != string(domain.CodeUpstreamUnavailable) && during.LastError != string(domain.CodeUpstreamError) {
		t.Errorf("after a failed page: got last_error %q, want the upstream failure", during.LastError)
	}
	if resumedWith.End != failedOn.End || len(resumedWith.Skip) != len(failedOn.Skip) {
		t.Errorf("got the follow resumed with %+v, want the failed page %+v again", resumedWith, failedOn)
	}
	after := f.state(t)
	if !after.Newest.After(before.Newest) || after.LastError != "" {
		t.Errorf("after the follow completed: got newest %v (was %v), last_error %q; want it moved and no error",
			after.Newest, before.Newest, after.LastError)
	}
	held := f.held(t)
	for id, c := range f.upstreamCalls(t, time.Time{}) {
		if _, ok := held[id]; !ok && c.StartTime <= f.clock.Now().Add(-20*time.Second).UnixMilli() {
			t.Errorf("call %s is upstream but not held", id)
		}
	}
}
