package cache_test

import (
	"context"
	"strings"
	"switchboard/internal/redistest"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/cache"
)

// benchBody is the size of a cached five-call page (about 2 KB), the body
// of the load runs' cache hit.
var benchBody = []byte(`{"data":[` + strings.Repeat(`{"id":"6315","source":"phonewagon"},`, 55) + `{}],"next_cursor":null}` + "\n")

// benchKeyParts are the parts GET /v1/calls?limit=5 hashes into its key.
func benchKey() string {
	return cache.Key("acme", "https://dev.phonewagon.com|acme-client", "calls",
		"Xq3b9mDk0aTfq2bq8wQ1cA", "", "", "0", "0", "5")
}

// BenchmarkKey measures the key derivation every cached GET pays.
func BenchmarkKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = benchKey()
	}
}

// BenchmarkFetchHit measures Cache.Fetch on a fresh entry (key derivation
// included), on each backend: the whole cache share of a cache-hit request.
func BenchmarkFetchHit(b *testing.B) {
	fill := func(context.Context) (cache.Entry, error) {
		return cache.Entry{Body: benchBody, FreshFor: time.Hour}, nil
	}
	backends := []struct {
		name string
		cfg  func(b *testing.B) cache.Config
	}{
		{"memory", func(*testing.B) cache.Config { return cache.Config{} }},
		{"redis", func(b *testing.B) cache.Config {
			rdb, prefix := benchRedis(b)
			return cache.Config{Backend: cache.NewRedisBackend(rdb, prefix)}
		}},
		{"redis with a 1s first level", func(b *testing.B) cache.Config {
			rdb, prefix := benchRedis(b)
			return cache.Config{Backend: cache.NewRedisBackend(rdb, prefix), L1TTL: time.Second}
		}},
	}
	for _, bk := range backends {
		b.Run(bk.name, func(b *testing.B) {
			c, err := cache.New(bk.cfg(b))
			if err != nil {
				b.Fatalf("New: %v", err)
			}
			ctx := context.Background()
			if _, err := c.Fetch(ctx, benchKey(), false, fill); err != nil {
				b.Fatalf("warming fetch: %v", err)
			}
			b.ReportAllocs()
			for b.Loop() {
				res, err := c.Fetch(ctx, benchKey(), false, fill)
				if err != nil || res.Status != cache.StatusHit {
					b.Fatalf("got %s, %v; want a hit", res.Status, err)
				}
			}
		})
	}
}

// BenchmarkETag measures the validator computed once per fill.
func BenchmarkETag(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	for b.Loop() {
		_ = cache.ETag(benchBody)
	}
}

// benchRedis is the test Redis under a prefix of the benchmark's own.
func benchRedis(b *testing.B) (*redis.Client, string) {
	b.Helper()
	return redistest.Open(b)
}
