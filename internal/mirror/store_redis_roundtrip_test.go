package mirror

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/redistest"
)

// commandCounter is a go-redis hook counting the commands sent (a
// pipeline counts as one round trip).
type commandCounter struct{ n atomic.Int64 }

func (c *commandCounter) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (c *commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}

func (c *commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmds)
	}
}

// A page is the index read, then the records read (one round trip each),
// whatever the history's size; an empty page is the index read alone.
func TestRedisQueryIsTwoRoundTripsWhateverTheHistorysSize(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Open(t)
	s := NewRedisStore(rdb, prefix)
	calls := sandboxCalls(t, 5000)
	loadCalls(t, s, "acct", calls)
	company, campaign := orEmpty(calls[0].CompanyID), orEmpty(calls[0].Campaign.Name)
	deep := callKey(calls[4000])
	counter := &commandCounter{}
	rdb.AddHook(counter)
	for _, tc := range []struct {
		q    Query
		want int64
	}{
		{Query{Limit: 100}, 2},
		{Query{Limit: 100, After: &deep, Encoded: true}, 2},
		{Query{Limit: 1000, CompanyID: company, After: &deep}, 2},
		{Query{Limit: 100, CompanyID: company, CampaignName: campaign, Since: calls[4999].StartedAt.Add(time.Hour)}, 2},
		{Query{Limit: 100, CompanyID: "no such company"}, 1},
	} {
		before := counter.n.Load()
		if _, err := s.Query(ctx, "acct", tc.q); err != nil {
			t.Fatalf("Query(%+v): %v", tc.q, err)
		}
		if got := counter.n.Load() - before; got != tc.want {
			t.Errorf("Query(%+v) took %d round trips, want %d", tc.q, got, tc.want)
		}
	}
}
