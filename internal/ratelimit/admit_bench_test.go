package ratelimit_test

import (
	"context"
	"switchboard/internal/redistest"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/ratelimit"
)

// BenchmarkAdmit measures one admission decision, the price every upstream
// request pays before it is sent.
//
// The window is chosen so that the benchmark runs in a steady state that
// admits: on Redis (whose own clock cannot be faked) a 1 ms window holds the
// few admissions of the last millisecond, so every call trims, counts and
// adds; on memory a clock advancing 1.2 s per call keeps about 50 live
// admissions under a limit of 60 in the budget's 61 s window. "refused" is a
// spent budget: the answer every request gets while the account waits.
func BenchmarkAdmit(b *testing.B) {
	ctx := context.Background()
	b.Run("redis", func(b *testing.B) {
		rdb, prefix := benchRedis(b)
		s := ratelimit.NewRedisStore(rdb, prefix, nil)
		b.ReportAllocs()
		for b.Loop() {
			d, err := s.Admit(ctx, "acme-client", 1000, time.Millisecond)
			if err != nil || !d.Admitted {
				b.Fatalf("got %+v, %v; want admitted", d, err)
			}
		}
	})
	b.Run("redis refused", func(b *testing.B) {
		rdb, prefix := benchRedis(b)
		s := ratelimit.NewRedisStore(rdb, prefix, nil)
		if _, err := s.Admit(ctx, "acme-client", 1, time.Minute); err != nil {
			b.Fatalf("first admission: %v", err)
		}
		b.ReportAllocs()
		for b.Loop() {
			d, err := s.Admit(ctx, "acme-client", 1, time.Minute)
			if err != nil || d.Admitted {
				b.Fatalf("got %+v, %v; want refused", d, err)
			}
		}
	})
	b.Run("memory", func(b *testing.B) {
		clock := &steppingClock{now: time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC), step: 1200 * time.Millisecond}
		s := ratelimit.NewMemoryStore(clock.Now)
		b.ReportAllocs()
		for b.Loop() {
			d, err := s.Admit(ctx, "acme-client", 60, ratelimit.Window+ratelimit.DefaultMargin)
			if err != nil || !d.Admitted {
				b.Fatalf("got %+v, %v; want admitted", d, err)
			}
		}
	})
}

// steppingClock moves on by step every time it is read.
type steppingClock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (c *steppingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(c.step)
	return c.now
}

// benchRedis is the test Redis under a prefix of the benchmark's own.
func benchRedis(b *testing.B) (*redis.Client, string) {
	b.Helper()
	return redistest.Open(b)
}
