// Package proctest measures the test process itself: the peaks of its heap
// and goroutines while hostile clients work on it, and its goroutines
// going back down once they left.
package proctest

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// Peaks samples the process's heap in use and goroutines every 50 ms
// until End.
type Peaks struct {
	heapInuse  atomic.Uint64
	goroutines atomic.Int64
	stop, done chan struct{}
}

// SamplePeaks starts sampling.
func SamplePeaks() *Peaks {
	p := &Peaks{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > p.heapInuse.Load() {
				p.heapInuse.Store(m.HeapInuse)
			}
			if n := int64(runtime.NumGoroutine()); n > p.goroutines.Load() {
				p.goroutines.Store(n)
			}
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return p
}

// End stops sampling and returns the peaks seen.
func (p *Peaks) End() (heapInuse uint64, goroutines int64) {
	close(p.stop)
	<-p.done
	return p.heapInuse.Load(), p.goroutines.Load()
}

// GoroutinesBackTo waits up to 15 s until no more goroutines run than
// baseline, failing t with every goroutine's stack otherwise.
func GoroutinesBackTo(t *testing.T, baseline int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines 15 s after the work ended, want at most the %d before:\n%s",
				runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(20 * time.Millisecond) // polling, bounded by the deadline
	}
}
