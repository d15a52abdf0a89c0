package events

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"switchboard/internal/redistest"
)

// BenchmarkWebhookDeliveryLatency measures, with three replicas on Redis
// and a receiver answering 204, the delay from an event's recording to its
// delivery (p50 and p99 reported). Events are appended one every 2 ms, as
// a busy account's follow would record them; the mirror's own delay (a
// call appearing upstream to the follow that records it) comes on top.
func BenchmarkWebhookDeliveryLatency(b *testing.B) {
	rdb, prefix := redistest.Open(b)
	log := NewRedisLog(rdb, prefix, 0)
	var mu sync.Mutex
	var delays []time.Duration
	all := make(chan struct{})
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e Event
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &e)
		mu.Lock()
		delays = append(delays, time.Since(e.CreatedAt))
		if len(delays) == b.N {
			close(all)
		}
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rc.Close()
	ep := endpointFor(rc.URL)
	q := NewRedisQueue(rdb, log)
	if err := q.Join(context.Background(), ep.Account, ep.Group()); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"r1", "r2", "r3"} {
		d, err := NewDispatcher(DispatcherConfig{Queue: NewRedisQueue(rdb, log), Endpoints: []Endpoint{ep}, Consumer: name})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go d.Run(ctx)
	}
	b.ResetTimer()
	for range b.N {
		if _, err := log.Append(context.Background(), "acct", CallCreated, testCall("6315")); err != nil {
			b.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // pacing the arrivals, not waiting for a condition
	}
	<-all
	b.StopTimer()
	slices.Sort(delays)
	b.ReportMetric(float64(delays[len(delays)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(delays[len(delays)*99/100].Microseconds())/1000, "p99-ms")
}
