package cache_test

import (
	"testing"
	"time"

	"switchboard/internal/cache"
)

func TestMemoryIdempotency(t *testing.T) {
	testIdempotency(t, func(t *testing.T) idempotencyHarness {
		clock := newManualClock()
		return idempotencyHarness{store: cache.NewMemoryIdempotency(clock.Now), elapse: clock.Advance}
	})
}

func TestMemoryIdempotencyReplaysACopy(t *testing.T) {
	s := cache.NewMemoryIdempotency(nil)
	mustBegin(t, s, "k", "h", time.Minute)
	rec := sampleRecord("h")
	mustComplete(t, s, "k", rec, time.Hour)
	rec.Body[0] = 'X'
	first := mustBegin(t, s, "k", "h", time.Minute)
	first.Record.Header["Location"] = "changed"
	assertRecord(t, mustBegin(t, s, "k", "h", time.Minute).Record, sampleRecord("h"))
}
