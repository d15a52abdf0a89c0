package mirror

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/domain"
	"switchboard/internal/redistest"
)

// beforeCommand is a go-redis hook that runs its func once, before the
// first command of the given name, and counts the reads of an index.
type beforeCommand struct {
	name       string
	run        func()
	done       atomic.Bool
	indexReads atomic.Int64
}

func (h *beforeCommand) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (h *beforeCommand) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "zrevrangebylex" {
			h.indexReads.Add(1)
		}
		if cmd.Name() == h.name && h.done.CompareAndSwap(false, true) {
			h.run()
		}
		return next(ctx, cmd)
	}
}

func (h *beforeCommand) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestARedisPageReadWhileCallsChangeIsThePageAfterTheChange checks Query's
// two-command read: when a write moves a call (its start time or company),
// or trims one, between reading the index and reading the records, the
// page answered is the page after the write, never a mix.
func TestARedisPageReadWhileCallsChangeIsThePageAfterTheChange(t *testing.T) {
	ctx := context.Background()
	history := suiteHistory()
	moveTime := func(c domain.Call) domain.Call {
		c.StartedAt = suitePtr(histNow.Add(-time.Hour - time.Second))
		return c
	}
	moveCompany := func(c domain.Call) domain.Call { c.CompanyID = suitePtr("1003"); return c }
	for _, tc := range []struct {
		name  string
		q     Query
		write func(t *testing.T, s *RedisStore, fence int64, page []domain.Call)
	}{
		{"a call of the page moves to an older start time", Query{Limit: 5}, func(t *testing.T, s *RedisStore, fence int64, page []domain.Call) {
			mustUpsertCalls(t, s, "acct", fence, []domain.Call{moveTime(page[2])})
		}},
		{"a call of a company's page moves to another company", Query{Limit: 5, CompanyID: "1001"}, func(t *testing.T, s *RedisStore, fence int64, page []domain.Call) {
			mustUpsertCalls(t, s, "acct", fence, []domain.Call{moveCompany(page[1])})
		}},
		{"a call of a campaign's page moves to another company", Query{Limit: 3, CompanyID: "1002", CampaignName: "Google Ads"}, func(t *testing.T, s *RedisStore, fence int64, page []domain.Call) {
			mustUpsertCalls(t, s, "acct", fence, []domain.Call{moveCompany(page[0])})
		}},
		{"the calls of the page are trimmed", Query{Limit: 5, Until: histNow.Add(-4 * time.Second)}, func(t *testing.T, s *RedisStore, fence int64, _ []domain.Call) {
			if err := s.Trim(ctx, "acct", fence, histNow.Add(-4*time.Second)); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		for _, encoded := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, encoded %v", tc.name, encoded), func(t *testing.T) {
				rdb, prefix := redistest.Open(t)
				writer := NewRedisStore(rdb, prefix)
				fence := holdLease(t, storeHarness{store: writer}, "acct")
				mustUpsertCalls(t, writer, "acct", fence, history)
				before, err := writer.Query(ctx, "acct", tc.q)
				if err != nil || len(before.Calls) == 0 {
					t.Fatalf("the page before: %+v, %v", before, err)
				}

				opt := *rdb.Options()
				readerClient := redis.NewClient(&opt)
				t.Cleanup(func() { _ = readerClient.Close() })
				hook := &beforeCommand{name: "hmget", run: func() { tc.write(t, writer, fence, before.Calls) }}
				readerClient.AddHook(hook)
				q := tc.q
				q.Encoded = encoded
				got, err := NewRedisStore(readerClient, prefix).Query(ctx, "acct", q)
				if err != nil {
					t.Fatal(err)
				}
				want, err := writer.Query(ctx, "acct", q)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("got the page\n%+v\nwant the page after the write\n%+v", got, want)
				}
				if after, _ := writer.Query(ctx, "acct", tc.q); reflect.DeepEqual(after, before) {
					t.Errorf("the write did not change the page: the test shows nothing")
				}
				if n := hook.indexReads.Load(); n != 2 {
					t.Errorf("the page was read %d times, want it read again after the write, once", n)
				}
			})
		}
	}
}

func TestARedisPageSkipsAnIndexEntryWithoutItsRecord(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Open(t)
	s := NewRedisStore(rdb, prefix)
	fence := holdLease(t, storeHarness{store: s}, "acct")
	history := suiteHistory()
	mustUpsertCalls(t, s, "acct", fence, history)
	want, err := s.Query(ctx, "acct", Query{Limit: 6, Encoded: true})
	if err != nil {
		t.Fatal(err)
	}
	// An entry no write makes: newer than every call, with no record.
	orphan := sortMember(Key{StartedAt: histNow.Add(time.Minute).UnixMilli(), ID: "404"})
	if err := rdb.ZAdd(ctx, s.base("acct")+"t", redis.Z{Member: orphan}).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := s.Query(ctx, "acct", Query{Limit: 6, Encoded: true})
	if err != nil || !reflect.DeepEqual(got.Records, want.Records) {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
}
