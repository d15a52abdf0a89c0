package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"switchboard/internal/cache"
	"switchboard/internal/mirror"
)

// mirrorStoreForBench is what a benchmark needs of a mirror store.
type mirrorStoreForBench interface {
	mirror.Store
	mirror.Leases
	mirror.FollowRequests
}

// BenchmarkMirroredPage measures one whole GET /v1/calls answered from the
// mirror (limit=100, without and with a company filter) through the router
// and every middleware, on the memory and the Redis store, holding 1,000
// calls of the simulator's shape.
func BenchmarkMirroredPage(b *testing.B) {
	stores := []struct {
		name  string
		store func(b *testing.B) mirrorStoreForBench
	}{
		{"memory", func(*testing.B) mirrorStoreForBench { return mirror.NewMemoryStore(nil) }},
		{"redis", func(b *testing.B) mirrorStoreForBench {
			rdb, prefix := benchRedis(b)
			return mirror.NewRedisStore(rdb, prefix+"mirror:")
		}},
	}
	calls := benchCalls(b, 1000)
	company := *calls[0].CompanyID
	for _, st := range stores {
		store := st.store(b)
		ctx := context.Background()
		fence, ok, err := store.Acquire(ctx, "acme", "bench", time.Hour)
		if err != nil || !ok {
			b.Fatalf("acquire: %v %v", ok, err)
		}
		if _, err := store.Upsert(ctx, "acme", fence, calls); err != nil {
			b.Fatal(err)
		}
		if err := store.SaveState(ctx, "acme", fence, mirror.State{CoveredFrom: time.Unix(0, 0), SyncedAt: time.Now(), BackfillDone: true}); err != nil {
			b.Fatal(err)
		}
		s := newBenchServer(b, mustCache(b, cache.Config{}), nil, calls)
		s.gen.Load().tenants["acme"].Mirror = &mirror.Reader{Store: store, Follows: store, Account: "acme"}
		for _, q := range []struct{ name, path string }{
			{"limit=100", "/v1/calls?limit=100"},
			{"limit=100 of one company", "/v1/calls?limit=100&company_id=" + company},
		} {
			b.Run(st.name+"/"+q.name, func(b *testing.B) {
				req := httptest.NewRequest(http.MethodGet, q.path, nil)
				req.Header.Set("Authorization", "Bearer "+benchToken(b))
				w := newBenchWriter()
				b.ReportAllocs()
				for b.Loop() {
					w.reset()
					s.ServeHTTP(w, req)
				}
				if got := w.header.Get("X-Cache"); w.status != http.StatusOK || got != "MIRROR" {
					b.Fatalf("got status %d X-Cache %q, want 200 MIRROR", w.status, got)
				}
			})
		}
	}
}
