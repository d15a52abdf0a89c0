package main

import (
	"context"
	"sync"
	"time"
)

// sampleEvery is how often the monitor reads the replicas' memory and
// goroutines during the load.
const sampleEvery = 2 * time.Second

// replicaSamples is what the monitor saw of one replica.
type replicaSamples struct {
	// FirstHalfRSS and SecondHalfRSS are the highest VmRSS (KiB) sampled
	// in each half of the load: flat memory keeps the second near the first.
	FirstHalfRSS, SecondHalfRSS int64
	// PeakGoroutines is the highest go_goroutines sampled.
	PeakGoroutines int
}

// monitor samples every replica until stopped. It is safe for concurrent
// use.
type monitor struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	samples map[string]*replicaSamples
}

// startMonitor samples rs every sampleEvery; the first half of a load of
// length d ends at d/2 from now.
func startMonitor(rs []*replica, d time.Duration) *monitor {
	ctx, cancel := context.WithCancel(context.Background())
	m := &monitor{cancel: cancel, done: make(chan struct{}), samples: map[string]*replicaSamples{}}
	for _, r := range rs {
		m.samples[r.Name] = &replicaSamples{}
	}
	half := time.Now().Add(d / 2)
	sc := newScraper()
	go func() {
		defer close(m.done)
		tick := time.NewTicker(sampleEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			second := time.Now().After(half)
			for _, r := range rs {
				mem, memErr := readMemory(r.Pid())
				g, gErr := sc.goroutines(ctx, r.URL())
				m.mu.Lock()
				s := m.samples[r.Name]
				if memErr == nil {
					if second {
						s.SecondHalfRSS = max(s.SecondHalfRSS, mem.RSS)
					} else {
						s.FirstHalfRSS = max(s.FirstHalfRSS, mem.RSS)
					}
				}
				if gErr == nil {
					s.PeakGoroutines = max(s.PeakGoroutines, g)
				}
				m.mu.Unlock()
			}
		}
	}()
	return m
}

// stop ends the sampling and returns the samples by replica name.
func (m *monitor) stop() map[string]replicaSamples {
	m.cancel()
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]replicaSamples, len(m.samples))
	for k, v := range m.samples {
		out[k] = *v
	}
	return out
}
