package idempotency_test

import (
	"testing"
	"time"

	"switchboard/internal/clocktest"
	"switchboard/internal/idempotency"
)

func TestMemoryStore(t *testing.T) {
	testStore(t, func(t *testing.T) storeHarness {
		clock := clocktest.New()
		return storeHarness{store: idempotency.NewMemory(clock.Now), elapse: clock.Advance}
	})
}

func TestMemoryStoreReplaysACopy(t *testing.T) {
	s := idempotency.NewMemory(nil)
	owner := mustClaim(t, s, "k", "h", time.Minute, time.Hour)
	rec := sampleRecord("h")
	mustComplete(t, s, "k", owner, rec, time.Hour)
	rec.Body[0] = 'X'
	first := mustBegin(t, s, "k", "h", time.Minute, time.Hour)
	first.Record.Header["Location"] = "changed"
	assertRecord(t, mustBegin(t, s, "k", "h", time.Minute, time.Hour).Record, sampleRecord("h"))
}
