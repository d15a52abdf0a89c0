package mirror

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/redistest"
)

// writeLegacy writes calls as a store of the first format did: the same
// script and envelope header, each record without its null members and
// without the record tag.
func writeLegacy(t *testing.T, s *RedisStore, account string, fence int64, calls []domain.Call) {
	t.Helper()
	b := s.base(account)
	args := []any{fence, b, ""}
	var envs []any
	for _, c := range calls {
		env, err := legacyEnvelope(c)
		if err != nil {
			t.Fatal(err)
		}
		if !isLegacyEnvelope(env) {
			t.Fatalf("the legacy envelope of %s is not recognized as one", c.ID)
		}
		args = append(args, c.ID, env, "")
		envs = append(envs, env)
	}
	keys := indexKeys(b, []string{b + "lease", b + "calls", b + "t", b + "pending"}, envs...)
	res, err := luaUpsert.Run(context.Background(), s.rdb, keys, args...).Result()
	if err != nil || res != strings.Repeat("1", len(calls)) {
		t.Fatalf("writing the legacy records: %v, %v", res, err)
	}
}

func TestRedisStoreReadsRecordsOfTheFirstFormatAndRewritesThem(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Open(t)
	s := NewRedisStore(rdb, prefix)
	fence := holdLease(t, storeHarness{store: s}, "acct")
	calls := append(hostileCalls(), suiteHistory()...)
	writeLegacy(t, s, "acct", fence, calls)
	redisConsistent(t, rdb, s, "acct")

	// What a store written in the current format answers.
	ref := NewMemoryStore(nil)
	mustUpsertCalls(t, ref, "acct", holdLease(t, storeHarness{store: ref}, "acct"), calls)

	t.Run("pages and calls read as from a store of the current format", func(t *testing.T) {
		for _, query := range []Query{{}, {CompanyID: "1002"}, {CompanyID: "1001", CampaignName: "Facebook"}} {
			for _, encoded := range []bool{false, true} {
				q := query
				q.Limit, q.Encoded = 4, encoded
				for pages := 0; ; pages++ {
					if pages > len(calls) {
						t.Fatalf("%+v: the walk did not end", q)
					}
					got, err := s.Query(ctx, "acct", q)
					if err != nil {
						t.Fatalf("Query(%+v): %v", q, err)
					}
					want, err := ref.Query(ctx, "acct", q)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("Query(%+v):\n got %+v\nwant %+v", q, got, want)
					}
					if got.Next == nil {
						break
					}
					q.After = got.Next
				}
			}
		}
		for _, c := range calls {
			got, _, err := s.Get(ctx, "acct", c.ID)
			want, _, _ := ref.Get(ctx, "acct", c.ID)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("Get(%s) = %+v, %v; want %+v", c.ID, got, err, want)
			}
		}
	})

	t.Run("an upsert of the same calls rewrites them in the current format as unchanged", func(t *testing.T) {
		changes := mustUpsertCalls(t, s, "acct", fence, calls)
		if i := slices.IndexFunc(changes, func(c Change) bool { return c != Unchanged }); i >= 0 {
			t.Fatalf("call %s: got %v, want unchanged (all: %v)", calls[i].ID, changes[i], changes)
		}
		for _, c := range calls {
			held, err := rdb.HGet(ctx, s.base("acct")+"calls", c.ID).Result()
			want, _ := envelope(c)
			if err != nil || held != want {
				t.Fatalf("call %s is held as %q, %v; want %q", c.ID, held, err, want)
			}
		}
		redisConsistent(t, rdb, s, "acct")
	})

	t.Run("a changed call held in the first format is updated", func(t *testing.T) {
		a := suiteCall("7001", histNow, "1001", "Facebook")
		b := suiteCall("7002", histNow, "1001", "Facebook")
		writeLegacy(t, s, "acct", fence, []domain.Call{a, b})
		completed := a
		completed.DurationSeconds = suitePtr(int64(61))
		moved := b
		moved.StartedAt = suitePtr(histNow.Add(time.Hour))
		moved.CompanyID = suitePtr("1003")
		if got := mustUpsertCalls(t, s, "acct", fence, []domain.Call{completed, moved}); !slices.Equal(got, []Change{Updated, Updated}) {
			t.Errorf("got %v, want both updated", got)
		}
		redisConsistent(t, rdb, s, "acct")
		p, err := s.Query(ctx, "acct", Query{CompanyID: "1003", Limit: 10, Encoded: true})
		want, _ := canonicalRecord(moved)
		if err != nil || len(p.Records) != 1 || p.Records[0] != string(want) {
			t.Errorf("the moved call's company page: %+v, %v; want its record", p, err)
		}
		if got, _, err := s.Get(ctx, "acct", "7001"); err != nil || !reflect.DeepEqual(got, completed) {
			t.Errorf("Get(7001) = %+v, %v; want %+v", got, err, completed)
		}
	})
}
