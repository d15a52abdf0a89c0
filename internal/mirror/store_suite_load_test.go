package mirror

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"switchboard/internal/domain"
)

// The parts of the conformance suite that run many writers at once or more
// calls than one script handles (testStoreSuite runs them).

func testConcurrentAcquire(t *testing.T, h storeHarness) {
	const replicas = 8
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		fences []int64
	)
	for i := range replicas {
		wg.Go(func() {
			f, ok, err := h.store.Acquire(context.Background(), "acct", "replica-"+suiteItoa(i), time.Minute)
			if err != nil {
				t.Errorf("Acquire: %v", err)
			}
			if ok {
				mu.Lock()
				fences = append(fences, f)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(fences) != 1 {
		t.Errorf("%d replicas racing for a free lease: %d got it (fences %v), want exactly one", replicas, len(fences), fences)
	}
}

func testConcurrentWriters(t *testing.T, h storeHarness) {
	ctx := context.Background()
	fence := holdLease(t, h, "acct")
	history := suiteHistory()
	var wg sync.WaitGroup
	for w := range 4 { // writers upsert overlapping slices, readers walk meanwhile
		wg.Go(func() {
			if _, err := h.store.Upsert(ctx, "acct", fence, history[w*10:min(len(history), w*10+25)]); err != nil {
				t.Errorf("Upsert: %v", err)
			}
		})
		wg.Go(func() {
			if _, err := h.store.Query(ctx, "acct", Query{Limit: 7, CompanyID: "1001"}); err != nil {
				t.Errorf("Query: %v", err)
			}
		})
	}
	wg.Wait()
	covered := history[:min(len(history), 3*10+25)]
	if got, want := walkPages(t, h.store, "acct", Query{Limit: 3}), expectedOrder(covered, Query{}); !slices.Equal(got, want) {
		t.Errorf("after concurrent upserts: got %v,\nwant %v", got, want)
	}
	h.consistent(t, "acct")
}

func testTrimManyCalls(t *testing.T, h storeHarness) {
	const n = 2*trimBatch + 500
	calls := make([]domain.Call, n)
	for i := range calls { // ten calls a second, newest first
		calls[i] = suiteCall(suiteItoa(100_000-i), histNow.Add(-time.Duration(i/10)*time.Second), suiteCompanies[i%2], suiteCampaigns[i%3])
	}
	fence := holdLease(t, h, "acct")
	for i := 0; i < n; i += 1000 {
		mustUpsertCalls(t, h.store, "acct", fence, calls[i:min(n, i+1000)])
	}
	before := histNow.Add(-4 * time.Second) // keeps the newest 5 seconds: 50 calls
	if err := h.store.Trim(context.Background(), "acct", fence, before); err != nil {
		t.Fatalf("Trim: %v", err)
	}
	if got := mustCountCalls(t, h.store, "acct"); got != 50 {
		t.Errorf("got %d calls held after trimming %d, want 50", got, n-50)
	}
	q := Query{Limit: 1000, CompanyID: "1002", CampaignName: suiteCampaigns[1]}
	if got, want := walkPages(t, h.store, "acct", q), expectedOrder(calls, Query{CompanyID: q.CompanyID, CampaignName: q.CampaignName, Since: before}); !slices.Equal(got, want) {
		t.Errorf("campaign after trim: got %v, want %v", got, want)
	}
	h.consistent(t, "acct")
}
