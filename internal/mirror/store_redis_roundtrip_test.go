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

func TestRedisQueryIsOneRoundTripWhateverTheHistorysSize(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Open(t)
	s := NewRedisStore(rdb, prefix)
	calls := sandboxCalls(t, 5000)
	loadCalls(t, s, "acct", calls)
	company, campaign := orEmpty(calls[0].CompanyID), orEmpty(calls[0].Campaign.Name)
	deep := callKey(calls[4000])
	counter := &commandCounter{}
	rdb.AddHook(counter)
	if _, err := s.Query(ctx, "acct", Query{Limit: 1}); err != nil { // loads the script once
		t.Fatal(err)
	}
	for _, q := range []Query{
		{Limit: 100},
		{Limit: 100, After: &deep},
		{Limit: 1000, CompanyID: company, After: &deep},
		{Limit: 100, CompanyID: company, CampaignName: campaign, Since: calls[4999].StartedAt.Add(time.Hour)},
		{Limit: 100, CompanyID: "no such company"},
	} {
		before := counter.n.Load()
		if _, err := s.Query(ctx, "acct", q); err != nil {
			t.Fatalf("Query(%+v): %v", q, err)
		}
		if got := counter.n.Load() - before; got != 1 {
			t.Errorf("Query(%+v) took %d round trips, want 1", q, got)
		}
	}
}
