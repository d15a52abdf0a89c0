package mirror

import (
	"testing"
	"time"

	"switchboard/internal/sandbox/phonewagonsim"
)

// BenchmarkBackfill100kCalls backfills a 100,000-call history from the
// simulator through the real client, on a 50-a-minute budget whose
// background lane admits 40 a minute, on a fake clock. It reports the fake
// minutes from the first backfill request to the last (backfill-min: the
// issue's figure; 101 requests at 40 a minute) and the backfill's upstream
// requests; ns/op is only the machine's cost of the run.
func BenchmarkBackfill100kCalls(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		var last time.Time
		requests := 0
		var f *syncFixture
		f = newSyncFixture(b, func(a *phonewagonsim.Account) { a.Calls = 100_000 }, func(c *SyncerConfig) {
			c.Retention = 365 * 24 * time.Hour
			c.OnRequest = func(kind, outcome string) {
				if kind == KindBackfill && outcome == OutcomeOK {
					last = f.clock.Now()
					requests++
				}
			}
		})
		fence := f.lease(b, "r1", 24*time.Hour)
		b.StartTimer()
		start := f.clock.Now()
		if err := f.run(b, fence, f.backfillDone(b)); err != nil {
			b.Fatalf("holder: %v", err)
		}
		b.ReportMetric(last.Sub(start).Minutes(), "backfill-min")
		b.ReportMetric(float64(requests), "requests")
	}
}
