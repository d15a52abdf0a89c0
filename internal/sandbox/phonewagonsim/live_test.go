package phonewagonsim_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"switchboard/internal/sandbox/phonewagonsim"
)

// liveFixture is a simulator whose acme account is live from now on.
func liveFixture(t *testing.T, every, completeAfter, lateBy time.Duration) *fixture {
	t.Helper()
	return newFixture(t, func(c *phonewagonsim.Config) {
		c.Accounts[0].Calls = 200
		c.Accounts[0].ArrivalEvery = every
		c.Accounts[0].CompleteAfter = completeAfter
		c.Accounts[0].LateBy = lateBy
	})
}

// newCalls returns the calls of acme that started after now.
func newCalls(t *testing.T, f *fixture) []phonewagonsim.Call {
	t.Helper()
	var out []phonewagonsim.Call
	for _, c := range f.dataset(t, acmeID).Calls {
		if c.StartTime > now.UnixMilli() {
			out = append(out, c)
		}
	}
	return out
}

func TestLiveAccountReceivesNewCallsAsTheClockMoves(t *testing.T) {
	f := liveFixture(t, 20*time.Second, 0, 0)
	if got := len(newCalls(t, f)); got != 0 {
		t.Fatalf("at the start: got %d new calls, want 0", got)
	}
	history := f.dataset(t, acmeID).Calls
	maxID := int64(0)
	for _, c := range history {
		maxID = max(maxID, c.ID)
	}
	f.clock.Set(now.Add(2 * time.Hour))
	calls := newCalls(t, f)
	// 7200 s at one call per 20 s on average, bursts included.
	if len(calls) < 200 || len(calls) > 1200 {
		t.Fatalf("after 2 h: got %d new calls, want a few a minute (200..1200)", len(calls))
	}
	ties := 0
	for i, c := range calls {
		if c.StartTime%1000 != 0 {
			t.Errorf("call %d: got start_time %d, want whole seconds", c.ID, c.StartTime)
		}
		if c.StartTime > now.Add(2*time.Hour).UnixMilli() {
			t.Errorf("call %d: got start_time in the future", c.ID)
		}
		if c.ID <= maxID {
			t.Errorf("call %d: got an id not above the history's %d", c.ID, maxID)
		}
		if i > 0 && c.StartTime == calls[i-1].StartTime {
			ties++
		}
	}
	if ties == 0 {
		t.Errorf("got no two new calls in the same second, want bursts as on the real upstream")
	}
	all := f.dataset(t, acmeID).Calls
	if !slices.IsSortedFunc(all, func(a, b phonewagonsim.Call) int {
		if a.StartTime != b.StartTime {
			return int(b.StartTime - a.StartTime)
		}
		return int(b.ID - a.ID)
	}) {
		t.Errorf("got calls out of serving order after arrivals")
	}
}

func TestLiveCallStartsInProgressAndCompletesLater(t *testing.T) {
	f := liveFixture(t, 20*time.Second, 3*time.Minute, 0)
	f.clock.Set(now.Add(10 * time.Minute))
	calls := newCalls(t, f)
	if len(calls) == 0 {
		t.Fatal("got no new calls after 10 min, want some")
	}
	before := make(map[int64]phonewagonsim.Call)
	for _, c := range calls {
		before[c.ID] = c
		ongoing := c.StartTime > now.Add(7*time.Minute).UnixMilli()
		if ongoing && (c.Status != "in-progress" || c.Duration != 0 || c.RecordingURL != "") {
			t.Errorf("call %d started under 3 min ago: got status %q, duration %d, recording %q; want in-progress, 0, none",
				c.ID, c.Status, c.Duration, c.RecordingURL)
		}
		if !ongoing && c.Status == "in-progress" {
			t.Errorf("call %d started over 3 min ago: got still in-progress, want its final status", c.ID)
		}
	}
	f.clock.Set(now.Add(15 * time.Minute))
	completed := 0
	for _, c := range newCalls(t, f) {
		b, ok := before[c.ID]
		if !ok || b.Status != "in-progress" {
			continue
		}
		if c.Status == "in-progress" {
			t.Errorf("call %d: got in-progress 5 min later, want completed", c.ID)
		}
		if c.Status == "completed" {
			completed++
			if c.Duration <= 0 {
				t.Errorf("call %d: got completed with duration %d, want > 0", c.ID, c.Duration)
			}
		}
		if c.StartTime != b.StartTime {
			t.Errorf("call %d: got start_time changed from %d to %d, want the same", c.ID, b.StartTime, c.StartTime)
		}
	}
	if completed == 0 {
		t.Errorf("got no in-progress call completed, want several")
	}
}

func TestLiveCallMayAppearAfterANewerOne(t *testing.T) {
	f := liveFixture(t, 10*time.Second, 0, 2*time.Minute)
	seen := map[int64]bool{}
	newest := int64(0)
	late := 0
	for step := time.Duration(0); step < 30*time.Minute; step += 15 * time.Second {
		f.clock.Set(now.Add(step))
		for _, c := range newCalls(t, f) {
			if seen[c.ID] {
				continue
			}
			seen[c.ID] = true
			if c.StartTime < newest {
				late++
			}
			newest = max(newest, c.StartTime)
		}
	}
	if late == 0 {
		t.Errorf("got no call appearing behind a newer one, want some with LateBy set")
	}
}

func TestLiveArrivalsAreDeterministic(t *testing.T) {
	var runs [2][]phonewagonsim.Call
	for i := range runs {
		f := liveFixture(t, 15*time.Second, time.Minute, time.Minute)
		for step := time.Duration(0); step <= 30*time.Minute; step += 7 * time.Second {
			f.clock.Set(now.Add(step)) // observed at different moments on purpose
			if i == 1 {
				_ = f.dataset(t, acmeID)
			}
		}
		runs[i] = newCalls(t, f)
	}
	if fmt.Sprint(runs[0]) != fmt.Sprint(runs[1]) {
		t.Errorf("got different calls from the same account and clock, want the same")
	}
}

func TestLiveCallsAreServedByGetCalls(t *testing.T) {
	f := liveFixture(t, 20*time.Second, time.Minute, 0)
	f.clock.Set(now.Add(30 * time.Minute))
	calls, _ := walk(t, f, fmt.Sprintf("/calls?start_time=%d", now.UnixMilli()+1))
	want := newCalls(t, f)
	gotIDs, wantIDs := map[int64]bool{}, map[int64]bool{}
	for _, c := range calls {
		gotIDs[c.ID] = true
	}
	for _, c := range want {
		wantIDs[c.ID] = true
	}
	// The next link skips the rest of a burst cut by a page boundary, so
	// the walk may miss some; it must never invent one.
	for id := range gotIDs {
		if !wantIDs[id] {
			t.Errorf("GET /calls returned call %d the dataset does not hold", id)
		}
	}
	if len(calls) == 0 {
		t.Errorf("got no new calls from GET /calls, want them")
	}
	if resp := f.mustGet(t, "/calls?page_size=1", acmeID, acmeSecret); resp.status != http.StatusOK {
		t.Errorf("got %d, want 200", resp.status)
	}
}

func TestLargeHistoryIsGeneratedWhole(t *testing.T) {
	// One generation: that the same seed gives the same records is the
	// generator's property whatever the size
	// (TestAccountsHaveTheirOwnDeterministicData).
	const n = 100_000
	sim, err := phonewagonsim.New(phonewagonsim.Config{
		Accounts: []phonewagonsim.Account{{ClientID: acmeID, ClientSecret: acmeSecret, Seed: 7, Calls: n}},
		Now:      func() time.Time { return now },
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	d, _ := sim.Dataset(acmeID)
	if len(d.Calls) != n {
		t.Fatalf("got %d calls, want %d", len(d.Calls), n)
	}
	ids := make(map[int64]bool, n)
	ties := 0
	for i, c := range d.Calls {
		if ids[c.ID] {
			t.Fatalf("got call id %d twice, want unique ids", c.ID)
		}
		ids[c.ID] = true
		if i > 0 && c.StartTime == d.Calls[i-1].StartTime {
			ties++
		}
		if i > 0 && (c.StartTime > d.Calls[i-1].StartTime || c.StartTime == d.Calls[i-1].StartTime && c.ID > d.Calls[i-1].ID) {
			t.Fatalf("call %d: got out of serving order", i)
		}
	}
	if ties < n/10 {
		t.Errorf("got %d calls sharing a start time with the previous one, want bursts (over %d)", ties, n/10)
	}
}

// BenchmarkNewLargeHistory measures generating a 100k-call account.
func BenchmarkNewLargeHistory(b *testing.B) {
	for b.Loop() {
		if _, err := phonewagonsim.New(phonewagonsim.Config{
			Accounts: []phonewagonsim.Account{{ClientID: acmeID, ClientSecret: acmeSecret, Seed: 7, Calls: 100_000}},
		}); err != nil {
			b.Fatal(err)
		}
	}
}
