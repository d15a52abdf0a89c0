package mirror

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"switchboard/internal/domain"
)

// fullStore is what both implementations are: the Store, the Leases whose
// tokens fence its writes, and the FollowRequests.
type fullStore interface {
	Store
	Leases
	FollowRequests
}

// storeHarness is one implementation under test and a way to let its
// leases run out: the memory harness moves its clock, the Redis one waits
// for Redis's own clock (polling the observable condition).
type storeHarness struct {
	store fullStore
	// ttl is a lease ttl the harness can see expire.
	ttl time.Duration
	// afterTTL lets at least ttl pass, then waits until cond holds; it
	// fails t when cond never holds.
	afterTTL func(t *testing.T, cond func() bool)
	// consistent checks the implementation's indexes against its records:
	// every index entry belongs to a held call and names where it is filed.
	consistent func(t *testing.T, account string)
}

// testStoreSuite is the conformance suite every Store passes. newHarness
// returns an empty store each time.
func testStoreSuite(t *testing.T, newHarness func(t *testing.T) storeHarness) {
	for _, tc := range []struct {
		name string
		test func(t *testing.T, h storeHarness)
	}{
		{"upsert reports created, updated and unchanged per call", testUpsertChanges},
		{"walks visit every call once in serving order at any page size", testWalks},
		{"an encoded page holds the JSON of the decoded page's calls", testEncodedPages},
		{"a call whose company, campaign or start time changes moves between indexes", testMoves},
		{"since is inclusive and until exclusive at a burst's second", testBounds},
		{"trim drops the calls that started before its bound from every index", testTrim},
		{"trim drops more calls than one batch", testTrimManyCalls},
		{"concurrent writers and readers leave every call indexed once", testConcurrentWriters},
		{"state round-trips, backfill query included", testStateRoundTrip},
		{"a query the store cannot answer is refused", testInvalidQueries},
		{"accounts are isolated", testIsolation},
		{"a write with a stale fence is refused and writes nothing", testFencing},
		{"the lease has one holder until it expires or is released", testLease},
		{"of replicas racing for a free lease exactly one gets it", testConcurrentAcquire},
		{"follow requests count up and the followed mark never moves back", testFollowRequests},
		{"changes stay pending from the write that made them until announced", testPending},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, newHarness(t)) })
	}
}

// holdLease takes account's lease for long enough for a test and returns its
// fence.
func holdLease(t *testing.T, h storeHarness, account string) int64 {
	t.Helper()
	fence, ok, err := h.store.Acquire(context.Background(), account, "replica-a", time.Minute)
	if err != nil || !ok {
		t.Fatalf("Acquire(%q) = %d, %v, %v; want a lease", account, fence, ok, err)
	}
	return fence
}

func mustUpsertCalls(t *testing.T, s Store, account string, fence int64, calls []domain.Call) []Change {
	t.Helper()
	changes, err := s.Upsert(context.Background(), account, fence, calls)
	if err != nil {
		t.Fatalf("Upsert(%d calls): %v", len(calls), err)
	}
	return changes
}

func mustCountCalls(t *testing.T, s Store, account string) int {
	t.Helper()
	n, err := s.Count(context.Background(), account)
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	return n
}

// walkPages follows Next from q to the last page and returns every id served,
// checking that each page but the last is full and none is empty.
func walkPages(t *testing.T, s Store, account string, q Query) []string {
	t.Helper()
	var ids []string
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatalf("walk of %+v did not end after 1000 pages", q)
		}
		p, err := s.Query(context.Background(), account, q)
		if err != nil {
			t.Fatalf("Query(%+v): %v", q, err)
		}
		if p.Next != nil && len(p.Calls) != q.Limit {
			t.Fatalf("page %d: got %d calls and a next key, want a full page of %d", pages, len(p.Calls), q.Limit)
		}
		if len(p.Calls) == 0 && q.After != nil {
			t.Fatalf("page %d after %+v is empty, want the previous page to have ended the walk", pages, *q.After)
		}
		ids = append(ids, callIDs(p.Calls)...)
		if p.Next == nil {
			return ids
		}
		q.After = p.Next
	}
}

func testUpsertChanges(t *testing.T, h storeHarness) {
	ctx := context.Background()
	fence := holdLease(t, h, "acct")
	a := suiteCall("1", histNow, "1001", "Facebook")
	b := suiteCall("2", histNow, "1001", "Facebook")
	if got, want := mustUpsertCalls(t, h.store, "acct", fence, []domain.Call{a, b}), []Change{Created, Created}; !slices.Equal(got, want) {
		t.Errorf("first upsert: got %v, want %v", got, want)
	}
	completed := b
	completed.DurationSeconds = suitePtr(int64(54))
	completed.RecordingURL = suitePtr("https://core-api.phonewagon.com/call-recordings/CA1/file")
	sameInstant := a
	sameInstant.StartedAt = suitePtr(histNow.In(time.FixedZone("EST", -5*3600))) // the same record, normalized
	c := suiteCall("3", histNow.Add(-time.Second), "", "")
	got := mustUpsertCalls(t, h.store, "acct", fence, []domain.Call{sameInstant, completed, c, c})
	if want := []Change{Unchanged, Updated, Created, Unchanged}; !slices.Equal(got, want) {
		t.Errorf("second upsert: got %v, want %v", got, want)
	}
	if n := mustCountCalls(t, h.store, "acct"); n != 3 {
		t.Errorf("got %d calls held, want 3", n)
	}
	held, ok, err := h.store.Get(ctx, "acct", "2")
	if err != nil || !ok {
		t.Fatalf("Get(2) = %v, %v; want the call", ok, err)
	}
	if !reflect.DeepEqual(held, completed) {
		t.Errorf("Get(2):\n got %+v\nwant %+v", held, completed)
	}
	if _, ok, err := h.store.Get(ctx, "acct", "4"); ok || err != nil {
		t.Errorf("Get(4) = %v, %v; want not held", ok, err)
	}
	h.consistent(t, "acct")
}

func testWalks(t *testing.T, h storeHarness) {
	history := suiteHistory()
	fence := holdLease(t, h, "acct")
	mustUpsertCalls(t, h.store, "acct", fence, history[:20])
	mustUpsertCalls(t, h.store, "acct", fence, history[20:])
	h.consistent(t, "acct")
	queries := []struct {
		name string
		q    Query
	}{
		{"the whole history", Query{}},
		{"one company", Query{CompanyID: "1001"}},
		{"one campaign", Query{CompanyID: "1001", CampaignName: "Facebook"}},
		{"a campaign name with reserved characters", Query{CompanyID: "1002", CampaignName: suiteCampaigns[2]}},
		{"a time range", Query{Since: histNow.Add(-5 * time.Second), Until: histNow}},
		{"a company within a time range", Query{CompanyID: "1002", Since: histNow.Add(-2 * time.Second), Until: histNow.Add(time.Second)}},
		{"a campaign since a second", Query{CompanyID: "1001", CampaignName: "Google Ads", Since: histNow.Add(-5 * time.Second)}},
		{"an unknown company", Query{CompanyID: "9999"}},
	}
	for _, qc := range queries {
		want := expectedOrder(history, qc.q)
		for _, size := range []int{1, 2, 3, 7, 1000} {
			t.Run(fmt.Sprintf("%s at page size %d", qc.name, size), func(t *testing.T) {
				q := qc.q
				q.Limit = size
				if got := walkPages(t, h.store, "acct", q); !slices.Equal(got, want) {
					t.Errorf("got  %v,\nwant %v", got, want)
				}
			})
		}
	}
	t.Run("a walk is not shifted by calls added while it runs", func(t *testing.T) {
		q := Query{Limit: 5}
		p, err := h.store.Query(context.Background(), "acct", q)
		if err != nil || p.Next == nil {
			t.Fatalf("first page: %v, next %v", err, p.Next)
		}
		newer := suiteCall("1007", histNow, "1001", "Facebook") // joins the newest burst, before the cut
		mustUpsertCalls(t, h.store, "acct", fence, []domain.Call{newer})
		q.After = p.Next
		rest := walkPages(t, h.store, "acct", q)
		if got, want := append(callIDs(p.Calls), rest...), expectedOrder(history, Query{}); !slices.Equal(got, want) {
			t.Errorf("got  %v,\nwant %v", got, want)
		}
	})
}

func testEncodedPages(t *testing.T, h storeHarness) {
	ctx := context.Background()
	fence := holdLease(t, h, "acct")
	calls := append(hostileCalls(), suiteHistory()...)
	mustUpsertCalls(t, h.store, "acct", fence, calls)
	for _, query := range []Query{
		{},
		{CompanyID: "1001"},
		{CompanyID: "1002", CampaignName: "Zoë Ñandú 名前 👋"},
		{CompanyID: "1001", CampaignName: "not utf-8: \xff\xfe\xc3"},
		{Since: histNow.Add(-2 * time.Second), Until: histNow.Add(time.Second)},
	} {
		want := expectedOrder(calls, query)
		for _, size := range []int{1, 3, 1000} {
			t.Run(fmt.Sprintf("%+v at page size %d", query, size), func(t *testing.T) {
				q := query
				q.Limit = size
				var ids []string
				for pages := 0; ; pages++ {
					if pages > len(calls) {
						t.Fatalf("the walk did not end after %d pages", pages)
					}
					decoded, err := h.store.Query(ctx, "acct", q)
					if err != nil {
						t.Fatalf("Query(%+v): %v", q, err)
					}
					eq := q
					eq.Encoded = true
					encoded, err := h.store.Query(ctx, "acct", eq)
					if err != nil {
						t.Fatalf("Query(%+v): %v", eq, err)
					}
					if encoded.Calls != nil || decoded.Records != nil {
						t.Fatalf("the encoded page holds %d calls and the decoded page %d records, want none", len(encoded.Calls), len(decoded.Records))
					}
					if len(encoded.Records) != len(decoded.Calls) || !reflect.DeepEqual(encoded.Next, decoded.Next) {
						t.Fatalf("encoded page: %d records, next %+v; decoded page: %d calls, next %+v",
							len(encoded.Records), encoded.Next, len(decoded.Calls), decoded.Next)
					}
					for i, c := range decoded.Calls {
						js, err := json.Marshal(c)
						if err != nil {
							t.Fatal(err)
						}
						if encoded.Records[i] != string(js) {
							t.Fatalf("call %s:\nrecord  %s\nencoded %s", c.ID, encoded.Records[i], js)
						}
						held, ok, err := h.store.Get(ctx, "acct", c.ID)
						if err != nil || !ok || !reflect.DeepEqual(held, c) {
							t.Fatalf("Get(%s) = %+v, %v, %v; want the call paged", c.ID, held, ok, err)
						}
					}
					ids = append(ids, callIDs(decoded.Calls)...)
					if decoded.Next == nil {
						break
					}
					q.After = decoded.Next
				}
				if !slices.Equal(ids, want) {
					t.Errorf("got  %v,\nwant %v", ids, want)
				}
			})
		}
	}
	t.Run("upserting the calls again changes nothing", func(t *testing.T) {
		for i, ch := range mustUpsertCalls(t, h.store, "acct", fence, calls) {
			if ch != Unchanged {
				t.Errorf("call %s: got %v, want unchanged", calls[i].ID, ch)
			}
		}
	})
}

func testMoves(t *testing.T, h storeHarness) {
	fence := holdLease(t, h, "acct")
	history := suiteHistory()
	mustUpsertCalls(t, h.store, "acct", fence, history)
	moved := suiteCall("1003", histNow.Add(-3*time.Second), "1002", "Google Ads")
	if got := mustUpsertCalls(t, h.store, "acct", fence, []domain.Call{moved}); got[0] != Updated {
		t.Fatalf("moving call 1003: got %v, want Updated", got[0])
	}
	noCompany := suiteCall("1004", histNow, "", "")
	mustUpsertCalls(t, h.store, "acct", fence, []domain.Call{noCompany})
	for i, c := range history {
		switch c.ID {
		case "1003":
			history[i] = moved
		case "1004":
			history[i] = noCompany
		}
	}
	for _, q := range []Query{
		{}, {CompanyID: "1001"}, {CompanyID: "1002"},
		{CompanyID: "1001", CampaignName: "Facebook"}, {CompanyID: "1002", CampaignName: "Google Ads"},
		{CompanyID: "1001", CampaignName: "Google Ads"}, {CompanyID: "1002", CampaignName: "Facebook"},
	} {
		q.Limit = 1000
		if got, want := walkPages(t, h.store, "acct", q), expectedOrder(history, q); !slices.Equal(got, want) {
			t.Errorf("%+v: got  %v,\nwant %v", q, got, want)
		}
	}
	if n := mustCountCalls(t, h.store, "acct"); n != len(history) {
		t.Errorf("got %d calls held, want %d", n, len(history))
	}
	h.consistent(t, "acct")
}

func testBounds(t *testing.T, h storeHarness) {
	fence := holdLease(t, h, "acct")
	history := suiteHistory()
	mustUpsertCalls(t, h.store, "acct", fence, history)
	burst := histNow.Add(-2 * time.Second) // 11 calls
	for _, tc := range []struct {
		name string
		q    Query
		want int
	}{
		{"since the burst's second holds the whole burst", Query{Since: burst, Until: burst.Add(time.Millisecond)}, 11},
		{"until the burst's second leaves it out", Query{Since: burst.Add(-time.Second), Until: burst}, 0},
		{"since one millisecond after leaves the burst out", Query{Since: burst.Add(time.Millisecond), Until: burst.Add(time.Second)}, 0},
		{"a window of two seconds", Query{Since: burst, Until: histNow}, 12},
		{"until half a millisecond after the burst holds it", Query{Since: burst, Until: burst.Add(500 * time.Microsecond)}, 11},
		{"since half a millisecond after the burst leaves it out", Query{Since: burst.Add(500 * time.Microsecond), Until: burst.Add(time.Second)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.Limit = 3
			got := walkPages(t, h.store, "acct", q)
			if want := expectedOrder(history, tc.q); len(got) != tc.want || !slices.Equal(got, want) {
				t.Errorf("got %v, want %d calls %v", got, tc.want, want)
			}
		})
	}
}

func testTrim(t *testing.T, h storeHarness) {
	ctx := context.Background()
	fence := holdLease(t, h, "acct")
	history := suiteHistory()
	mustUpsertCalls(t, h.store, "acct", fence, history)
	before := histNow.Add(-2 * time.Second)
	if err := h.store.Trim(ctx, "acct", fence, before); err != nil {
		t.Fatalf("Trim: %v", err)
	}
	kept := expectedOrder(history, Query{Since: before})
	if n := mustCountCalls(t, h.store, "acct"); n != len(kept) {
		t.Errorf("got %d calls held, want %d", n, len(kept))
	}
	for _, q := range []Query{{}, {CompanyID: "1001"}, {CompanyID: "1002", CampaignName: "Facebook"}} {
		q.Limit = 1000
		want := expectedOrder(history, Query{CompanyID: q.CompanyID, CampaignName: q.CampaignName, Since: before})
		if got := walkPages(t, h.store, "acct", q); !slices.Equal(got, want) {
			t.Errorf("%+v after trim: got %v, want %v", q, got, want)
		}
	}
	for _, id := range []string{"2000", "abc", "77", "500"} {
		if _, ok, err := h.store.Get(ctx, "acct", id); ok || err != nil {
			t.Errorf("Get(%s) after trim = %v, %v; want gone", id, ok, err)
		}
	}
	h.consistent(t, "acct")
	again := history[len(history)-1] // call 77, no start time: trimmed
	if got := mustUpsertCalls(t, h.store, "acct", fence, []domain.Call{again}); got[0] != Created {
		t.Errorf("upserting a trimmed call again: got %v, want Created", got[0])
	}
}

func testStateRoundTrip(t *testing.T, h storeHarness) {
	ctx := context.Background()
	if s, err := h.store.State(ctx, "acct"); err != nil || !reflect.DeepEqual(s, State{}) {
		t.Fatalf("State of a new account = %+v, %v; want the zero State", s, err)
	}
	fence := holdLease(t, h, "acct")
	state := func() State {
		return State{
			CoveredFrom: time.Unix(0, 0).UTC(),
			SyncedAt:    histNow.Add(123 * time.Millisecond),
			Newest:      histNow,
			Backfill: &domain.CallsQuery{
				CompanyID: "1001", End: histNow.Add(-2 * time.Second), PageSize: 1000,
				Skip: []string{"101", "100", "12"}, SkipLimit: 50,
			},
			LastError:   "upstream-unavailable",
			LastErrorAt: histNow.Add(-time.Minute),
		}
	}
	saved, want := state(), state()
	if err := h.store.SaveState(ctx, "acct", fence, saved); err != nil {
		t.Fatalf("SaveState: %v", err)
	}
	saved.Backfill.Skip[0] = "changed by the caller after saving"
	got, err := h.store.State(ctx, "acct")
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("State:\n got %+v (backfill %+v)\nwant %+v (backfill %+v)", got, got.Backfill, want, want.Backfill)
	}
	done := State{CoveredFrom: histNow.Add(-90 * 24 * time.Hour), BackfillDone: true}
	if err := h.store.SaveState(ctx, "acct", fence, done); err != nil {
		t.Fatalf("SaveState: %v", err)
	}
	if got, _ := h.store.State(ctx, "acct"); !reflect.DeepEqual(got, done) {
		t.Errorf("State after a replace: got %+v, want %+v", got, done)
	}
}

func testInvalidQueries(t *testing.T, h storeHarness) {
	for _, q := range []Query{{Limit: 0}, {Limit: 1001}, {Limit: -1}, {Limit: 10, CampaignName: "Facebook"}} {
		if _, err := h.store.Query(context.Background(), "acct", q); !errors.Is(err, ErrInvalidQuery) {
			t.Errorf("Query(%+v): got error %v, want ErrInvalidQuery", q, err)
		}
	}
}

func testIsolation(t *testing.T, h storeHarness) {
	ctx := context.Background()
	// Names that an unescaped key layout would confuse.
	accounts := []string{"a", "a:calls", "{a}", "a}", "b\x00c", ""}
	fence := holdLease(t, h, accounts[0])
	mustUpsertCalls(t, h.store, accounts[0], fence, suiteHistory())
	if err := h.store.SaveState(ctx, accounts[0], fence, State{SyncedAt: histNow}); err != nil {
		t.Fatalf("SaveState: %v", err)
	}
	if _, err := h.store.RequestFollow(ctx, accounts[0]); err != nil {
		t.Fatalf("RequestFollow: %v", err)
	}
	for _, other := range accounts[1:] {
		if n := mustCountCalls(t, h.store, other); n != 0 {
			t.Errorf("account %q holds %d calls, want 0", other, n)
		}
		if p, err := h.store.Query(ctx, other, Query{Limit: 10}); err != nil || len(p.Calls) != 0 {
			t.Errorf("account %q: query gave %d calls, %v; want none", other, len(p.Calls), err)
		}
		if _, ok, _ := h.store.Get(ctx, other, "1000"); ok {
			t.Errorf("account %q: Get(1000) found a call of account %q", other, accounts[0])
		}
		if s, _ := h.store.State(ctx, other); !reflect.DeepEqual(s, State{}) {
			t.Errorf("account %q: got state %+v, want none", other, s)
		}
		if n, _ := h.store.Requested(ctx, other); n != 0 {
			t.Errorf("account %q: got %d follow requests, want 0", other, n)
		}
		if _, err := h.store.Upsert(ctx, other, fence, suiteHistory()[:1]); !errors.Is(err, ErrFenced) {
			t.Errorf("account %q: a write with account %q's fence: got %v, want ErrFenced", other, accounts[0], err)
		}
		f, ok, err := h.store.Acquire(ctx, other, "replica-b", time.Minute)
		if err != nil || !ok {
			t.Errorf("account %q: Acquire while %q is held = %d, %v, %v; want a lease", other, accounts[0], f, ok, err)
		}
	}
}
