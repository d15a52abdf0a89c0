package handlers

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/events"
	"switchboard/internal/redistest"
)

// BenchmarkEventStream100Clients measures how many events a second one
// replica delivers to 100 open /v1/events streams (events/s reported; each
// event reaches all 100): the log is appended b.N times and the clock
// stops when every client has read every event.
func BenchmarkEventStream100Clients(b *testing.B) {
	for _, backend := range []string{"memory", "redis"} {
		b.Run(backend, func(b *testing.B) {
			var log events.Log = events.NewMemoryLog(nil, 0)
			if backend == "redis" {
				rdb, prefix := redistest.Open(b)
				log = events.NewRedisLog(rdb, prefix, 0)
			}
			// A buffer for every event: this measures throughput, not the
			// disconnection of clients that an unpaced burst outruns.
			g := newEventsGateway(b, log, eventsOptions{buffer: b.N + 16})
			tok := benchToken(b)
			const clients = 100
			var ready, done sync.WaitGroup
			for range clients {
				ready.Add(1)
				done.Add(1)
				go func() {
					defer done.Done()
					req, _ := http.NewRequest(http.MethodGet, g.url+"/v1/events", nil)
					req.Header.Set("Authorization", "Bearer "+tok)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						b.Error(err)
						ready.Done()
						return
					}
					defer resp.Body.Close()
					r := bufio.NewReader(resp.Body)
					for { // up to the ": live" comment: subscribed
						line, err := r.ReadString('\n')
						if err != nil || line == ": live\n" {
							break
						}
					}
					ready.Done()
					for n := 0; n < b.N; {
						line, err := r.ReadString('\n')
						if err != nil {
							b.Errorf("stream ended after %d of %d events: %v", n, b.N, err)
							return
						}
						if strings.HasPrefix(line, "id: ") {
							n++
						}
					}
				}()
			}
			ready.Wait()
			status := "completed"
			call := domain.Call{ID: "6315", Source: domain.SourcePhonewagon, Status: &status}
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				if _, err := log.Append(context.Background(), "acct-a", events.CallCreated, call); err != nil {
					b.Fatal(err)
				}
			}
			done.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		})
	}
}
