package mirror

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/sandbox/fault"
	"switchboard/internal/sandbox/phonewagonsim"
)

// backfillDone stops a run once the backfill has completed.
func (f *syncFixture) backfillDone(t testing.TB) func() bool {
	return func() bool { return f.state(t).BackfillDone }
}

func TestBackfillHoldsEveryCallOnce(t *testing.T) {
	cases := []struct {
		name        string
		retention   time.Duration
		coveredFrom time.Time
	}{
		{"history shorter than the retention is covered from its beginning", 200 * 24 * time.Hour, time.Unix(0, 0).UTC()},
		{"history longer than the retention is covered from the retention", 30 * 24 * time.Hour, syncStart.Add(-30 * 24 * time.Hour)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newSyncFixture(t, func(a *phonewagonsim.Account) { a.Calls = 2500 },
				func(cfg *SyncerConfig) { cfg.Retention = c.retention })
			if err := f.run(t, f.lease(t, "r1", 24*time.Hour), f.backfillDone(t)); err != nil {
				t.Fatalf("holder: %v", err)
			}
			st := f.state(t)
			if !st.CoveredFrom.Equal(c.coveredFrom) || st.Backfill != nil {
				t.Errorf("got covered_from %v and checkpoint %v, want %v and none", st.CoveredFrom, st.Backfill, c.coveredFrom)
			}
			f.wantMirror(t, syncStart.Add(-c.retention))
			if n := len(f.changes); n != 0 {
				t.Errorf("got changes reported for %d calls, want none from a backfill of history", n)
			}
		})
	}
}

func TestBackfillLosesNoCallSharingAStartTimeAcrossPages(t *testing.T) {
	for _, size := range []int{1, 2, 3, 5, 8, 13, 100} {
		t.Run(fmt.Sprintf("pages of %d", size), func(t *testing.T) {
			f := newSyncFixture(t, func(a *phonewagonsim.Account) { a.Calls = 150; a.Seed = int64(size) },
				func(cfg *SyncerConfig) { cfg.Retention = 200 * 24 * time.Hour; cfg.PageSize = size })
			if err := f.run(t, f.lease(t, "r1", 24*time.Hour), f.backfillDone(t)); err != nil {
				t.Fatalf("holder: %v", err)
			}
			f.wantMirror(t, time.Time{})
			if !hasTies(f.upstreamCalls(t, time.Time{})) {
				t.Fatal("the history has no calls sharing a start time; the test proves nothing")
			}
		})
	}
}

func hasTies(calls map[string]phonewagonsim.Call) bool {
	seen := map[int64]bool{}
	for _, c := range calls {
		if seen[c.StartTime] {
			return true
		}
		seen[c.StartTime] = true
	}
	return false
}

// cleanBackfillRequests is the number of upstream requests an
// uninterrupted backfill of the same account makes.
func cleanBackfillRequests(t *testing.T, acct func(*phonewagonsim.Account), cfg func(*SyncerConfig)) int {
	t.Helper()
	f := newSyncFixture(t, acct, cfg)
	if err := f.run(t, f.lease(t, "r1", 24*time.Hour), f.backfillDone(t)); err != nil {
		t.Fatalf("clean holder: %v", err)
	}
	return f.upstream.count()
}

func TestBackfillInterruptedByA429ResumesAtThePageThatFailed(t *testing.T) {
	acct := func(a *phonewagonsim.Account) { a.Calls = 150 }
	cfg := func(c *SyncerConfig) { c.Retention = 200 * 24 * time.Hour; c.PageSize = 7 }
	clean := cleanBackfillRequests(t, acct, cfg)
	f := newSyncFixture(t, acct, cfg)
	var failed, resumed domain.CallsQuery
	var lastError string
	f.upstream.before = func(n int, q domain.CallsQuery) error {
		switch n {
		case 4:
			failed = q
			f.sim.InjectFault(fault.Fault{Status: http.StatusTooManyRequests, RetryAfter: 30 * time.Second, Times: 1, PathPrefix: "/calls"})
		case 5:
			resumed = q
			lastError = f.state(t).LastError
		}
		return nil
	}
	start := f.clock.Now()
	if err := f.run(t, f.lease(t, "r1", 24*time.Hour), f.backfillDone(t)); err != nil {
		t.Fatalf("holder: %v", err)
	}
	if !reflect.DeepEqual(resumed, failed) {
		t.Errorf("after the 429: got query %+v, want the failed page's %+v again", resumed, failed)
	}
	if lastError != string(domain.CodeUpstreamRateLimited) {
		t.Errorf("while paused: got last_error %q, want %q", lastError, domain.CodeUpstreamRateLimited)
	}
	if got := f.upstream.count(); got != clean+1 {
		t.Errorf("got %d upstream requests, want %d (the clean backfill's and the refused one)", got, clean+1)
	}
	if st := f.state(t); st.LastError != "" {
		t.Errorf("after the backfill: got last_error %q, want none", st.LastError)
	}
	if elapsed := f.clock.Now().Sub(start); elapsed < 30*time.Second {
		t.Errorf("got the backfill done after %v, want the 429's 30 s honoured", elapsed)
	}
	f.wantMirror(t, time.Time{})
}

func TestBackfillInterruptedByALostLeaseResumesOnTheNextHolder(t *testing.T) {
	acct := func(a *phonewagonsim.Account) { a.Calls = 150 }
	cfg := func(c *SyncerConfig) { c.Retention = 200 * 24 * time.Hour; c.PageSize = 7 }
	clean := cleanBackfillRequests(t, acct, cfg)
	f := newSyncFixture(t, acct, cfg)
	const ttl = 15 * time.Second
	var lost domain.CallsQuery
	var second int64
	f.upstream.before = func(n int, q domain.CallsQuery) error {
		if n == 6 {
			// The holder stalls past its lease; another replica takes it.
			lost = q
			f.clock.Advance(ttl + time.Second)
			second = f.lease(t, "r2", time.Hour)
		}
		return nil
	}
	err := f.run(t, f.lease(t, "r1", ttl), func() bool { return false })
	if !errors.Is(err, ErrFenced) {
		t.Fatalf("first holder: got %v, want it stopped by ErrFenced", err)
	}
	var resumed domain.CallsQuery
	f.upstream.before = func(n int, q domain.CallsQuery) error {
		if n == 7 {
			resumed = q
		}
		return nil
	}
	if err := f.run(t, second, f.backfillDone(t)); err != nil {
		t.Fatalf("second holder: %v", err)
	}
	if !reflect.DeepEqual(resumed, lost) {
		t.Errorf("second holder's first query: got %+v, want the lost page's %+v", resumed, lost)
	}
	if got := f.upstream.count(); got != clean+1 {
		t.Errorf("got %d upstream requests, want %d (the clean backfill's and the lost page read twice)", got, clean+1)
	}
	f.wantMirror(t, time.Time{})
}
