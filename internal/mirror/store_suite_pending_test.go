package mirror

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"switchboard/internal/domain"
)

// The part of the conformance suite about changes left pending
// announcement (testStoreSuite runs it).

// mustPending returns account's pending changes by call id.
func mustPending(t *testing.T, s Store, account string) map[string]Change {
	t.Helper()
	ps, err := s.Pending(context.Background(), account)
	if err != nil {
		t.Fatalf("Pending(%q): %v", account, err)
	}
	out := make(map[string]Change, len(ps))
	for _, p := range ps {
		if _, dup := out[p.ID]; dup {
			t.Errorf("Pending(%q) lists call %s twice", account, p.ID)
		}
		out[p.ID] = p.Change
	}
	return out
}

func mustUpsertPending(t *testing.T, s Store, account string, fence int64, calls []domain.Call) []Change {
	t.Helper()
	changes, err := s.UpsertPending(context.Background(), account, fence, calls)
	if err != nil {
		t.Fatalf("UpsertPending(%d calls): %v", len(calls), err)
	}
	return changes
}

func testPending(t *testing.T, h storeHarness) {
	ctx := context.Background()
	fence := holdLease(t, h, "acct")
	a := suiteCall("1", histNow, "1001", "Facebook")
	b := suiteCall("2", histNow, "1001", "Facebook")
	c := suiteCall("3", histNow.Add(-time.Second), "", "")
	check := func(step string, want map[string]Change) {
		t.Helper()
		if got := mustPending(t, h.store, "acct"); !maps.Equal(got, want) {
			t.Errorf("%s: pending %v, want %v", step, got, want)
		}
	}

	mustUpsertCalls(t, h.store, "acct", fence, []domain.Call{c})
	check("Upsert (the backfill's) leaves nothing pending", map[string]Change{})

	mustUpsertPending(t, h.store, "acct", fence, []domain.Call{a, b, c})
	check("created calls are pending as created; an unchanged one is not", map[string]Change{"1": Created, "2": Created})

	completed := b
	completed.DurationSeconds = suitePtr(int64(54))
	if got := mustUpsertPending(t, h.store, "acct", fence, []domain.Call{a, completed}); got[0] != Unchanged || got[1] != Updated {
		t.Fatalf("second UpsertPending: got %v, want [Unchanged Updated]", got)
	}
	check("a call updated before it was announced stays pending as created", map[string]Change{"1": Created, "2": Created})

	if err := h.store.Announced(ctx, "acct", fence+1, []string{"1", "2"}); !errors.Is(err, ErrFenced) {
		t.Errorf("Announced with a stale fence: got %v, want ErrFenced", err)
	}
	if _, err := h.store.UpsertPending(ctx, "acct", fence+1, []domain.Call{suiteCall("9", histNow, "", "")}); !errors.Is(err, ErrFenced) {
		t.Errorf("UpsertPending with a stale fence: got %v, want ErrFenced", err)
	}
	check("fenced writes leave the pending changes as they were", map[string]Change{"1": Created, "2": Created})

	if err := h.store.Announced(ctx, "acct", fence, []string{"2", "never-held"}); err != nil {
		t.Fatalf("Announced: %v", err)
	}
	check("Announced clears what it names", map[string]Change{"1": Created})

	completed.RecordingURL = suitePtr("https://core-api.phonewagon.com/call-recordings/CA2/file")
	mustUpsertPending(t, h.store, "acct", fence, []domain.Call{completed})
	check("an announced call updated again is pending as updated", map[string]Change{"1": Created, "2": Updated})
	mustUpsertCalls(t, h.store, "acct", fence, []domain.Call{suiteCall("2", histNow, "1002", "")})
	check("Upsert leaves what is pending as it was", map[string]Change{"1": Created, "2": Updated})

	if got := mustPending(t, h.store, "other"); len(got) != 0 {
		t.Errorf("another account has pending changes %v", got)
	}
	if err := h.store.Announced(ctx, "acct", fence, nil); err != nil {
		t.Errorf("Announced of nothing: %v", err)
	}

	// More calls than one Announced script clears.
	many := make([]domain.Call, 0, 2500)
	ids := make([]string, 0, cap(many)+2)
	for i := range cap(many) {
		call := suiteCall("m"+suiteItoa(i), histNow.Add(-time.Duration(i/7)*time.Second), "1001", "")
		many = append(many, call)
		ids = append(ids, call.ID)
	}
	for start := 0; start < len(many); start += 500 {
		mustUpsertPending(t, h.store, "acct", fence, many[start:start+500])
	}
	if n := len(mustPending(t, h.store, "acct")); n != len(many)+2 {
		t.Fatalf("after %d more created calls: %d pending, want %d", len(many), n, len(many)+2)
	}
	if err := h.store.Announced(ctx, "acct", fence, append(ids, "1", "2")); err != nil {
		t.Fatalf("Announced(%d ids): %v", len(ids), err)
	}
	check("Announced of every pending call", map[string]Change{})
	h.consistent(t, "acct")
}
