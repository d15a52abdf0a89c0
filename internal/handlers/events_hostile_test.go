package handlers

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"switchboard/internal/proctest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/clocktest"
	"switchboard/internal/domain"
	"switchboard/internal/events"
	"switchboard/internal/redistest"
)

// dialStream opens /v1/events on a bare connection with a 4 KiB receive
// buffer and never reads from it: the gateway's writes soon block.
func dialStream(g *eventsGateway, tok, lastID string) (net.Conn, error) {
	addr := strings.TrimPrefix(g.url, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	_ = c.(*net.TCPConn).SetReadBuffer(4096)
	hdr := ""
	if lastID != "" {
		hdr = "Last-Event-ID: " + lastID + "\r\n"
	}
	if _, err := fmt.Fprintf(c, "GET /v1/events HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n%s\r\n", addr, tok, hdr); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// streamOver opens /v1/events over client; the caller closes the body.
func streamOver(client *http.Client, g *eventsGateway, tok, lastID string) (*http.Response, error) {
	req, _ := http.NewRequest(http.MethodGet, g.url+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET /v1/events: %d", resp.StatusCode)
	}
	return resp, nil
}

// slowReader hands out at most 2 KiB per read, 2 ms apart: under 1 MB/s.
type slowReader struct{ r io.Reader }

func (s slowReader) Read(p []byte) (int, error) {
	time.Sleep(2 * time.Millisecond)
	return s.r.Read(p[:min(len(p), 2<<10)])
}

// liveReader reads a stream to the end, noting when each event arrived.
type liveReader struct {
	mu      sync.Mutex
	ids     []string
	arrived map[string]time.Time
	err     error
}

func (l *liveReader) run(s *sseStream) {
	for {
		e, err := s.next()
		if err != nil {
			l.mu.Lock()
			l.err = err
			l.mu.Unlock()
			return
		}
		l.mu.Lock()
		l.ids = append(l.ids, e.id)
		l.arrived[e.id] = time.Now()
		l.mu.Unlock()
	}
}

func (l *liveReader) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ids)
}

// appender records events at a steady pace, noting when each was
// recorded, until stop is closed or n are recorded.
type appender struct {
	mu      sync.Mutex
	ids     map[string][]string // by account, in order
	started map[string]time.Time
}

func (a *appender) run(t *testing.T, log events.Log, accounts []string, n int, every time.Duration, payload string) {
	for i := range n {
		for _, acct := range accounts {
			at := time.Now()
			e, err := log.Append(context.Background(), acct, events.CallCreated,
				domain.Call{ID: fmt.Sprint(i), Source: domain.SourcePhonewagon, ContactName: &payload})
			if err != nil {
				t.Error(err)
				return
			}
			a.mu.Lock()
			a.ids[acct] = append(a.ids[acct], e.ID)
			a.started[e.ID] = at
			a.mu.Unlock()
		}
		time.Sleep(every) // the pace of the events
	}
}

// worstDelay is the longest time between recording and arrival of the
// events r received; they must be all of account's, in order.
func (a *appender) worstDelay(t *testing.T, who, account string, r *liveReader) time.Duration {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if fmt.Sprint(r.ids) != fmt.Sprint(a.ids[account]) {
		t.Errorf("%s got %d events (then %v), want the %d of %s in order", who, len(r.ids), r.err, len(a.ids[account]), account)
	}
	var worst time.Duration
	for _, id := range r.ids {
		worst = max(worst, r.arrived[id].Sub(a.started[id]))
	}
	return worst
}

func openLive(t *testing.T, client *http.Client, g *eventsGateway, tok string) (*liveReader, func()) {
	t.Helper()
	resp, err := streamOver(client, g, tok, "")
	if err != nil {
		t.Fatal(err)
	}
	l := &liveReader{arrived: map[string]time.Time{}}
	done := make(chan struct{})
	go func() { defer close(done); l.run(&sseStream{resp: resp, r: bufio.NewReader(resp.Body)}) }()
	return l, func() { resp.Body.Close(); <-done }
}

// TestEventStreamHostileClients opens streams that never read and streams
// that read slowly next to healthy ones of the same and of another
// tenant: the healthy ones get every event at once, the stalled ones are
// cut off by their bounded buffer and the write timeout without holding
// the hub up, the slow ones resume by id and miss nothing, and when every
// client has gone no goroutine is left.
func TestEventStreamHostileClients(t *testing.T) {
	log := events.NewMemoryLog(nil, 0)
	g := newEventsGateway(t, log, eventsOptions{buffer: 16, writeTimeout: 300 * time.Millisecond})
	acme, other := token(t, "acme", auth.ScopeCallsRead), token(t, "other", auth.ScopeCallsRead)
	tr := &http.Transport{}
	client := &http.Client{Transport: tr}
	baseline := runtime.NumGoroutine()
	p := proctest.SamplePeaks()

	const stalled, slow = 20, 5
	var raws []net.Conn
	for range stalled {
		c, err := dialStream(g, acme, "")
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, c)
	}
	healthyA, closeA := openLive(t, client, g, acme)
	healthyB, closeB := openLive(t, client, g, other)

	// The slow readers read under 1 MB/s, less than is sent; whenever
	// the gateway ends a stream they resume after the last id they got.
	a := &appender{ids: map[string][]string{}, started: map[string]time.Time{}}
	const n = 150
	var (
		wg         sync.WaitGroup
		reconnects atomic.Int64
		slowGot    = make([][]string, slow)
	)
	for i := range slow {
		wg.Go(func() {
			last := "0-0"
			for {
				resp, err := streamOver(client, g, acme, last)
				if err != nil {
					t.Error(err)
					return
				}
				s := &sseStream{resp: resp, r: bufio.NewReader(slowReader{resp.Body})}
				for {
					e, err := s.next()
					if err != nil {
						break
					}
					slowGot[i] = append(slowGot[i], e.id)
					last = e.id
					if len(slowGot[i]) == n { // every event of acct-a
						resp.Body.Close()
						return
					}
				}
				resp.Body.Close()
				reconnects.Add(1)
			}
		})
	}
	clocktest.Eventually(t, 10*time.Second, "every stream open", func() bool {
		return g.hub.Subscribers() == stalled+slow+2
	})
	a.run(t, log, []string{"acct-a", "acct-b"}, n, 10*time.Millisecond, strings.Repeat("x", 16<<10))
	wg.Wait()

	// The stalled streams' socket buffers may hold all of that: larger
	// events follow until the gateway has cut every stalled stream off.
	big := strings.Repeat("z", 64<<10)
	for i := 0; g.hub.Subscribers() > 2 && i < 400; i++ {
		a.run(t, log, []string{"acct-a"}, 1, 10*time.Millisecond, big)
	}
	clocktest.Eventually(t, 10*time.Second, "the stalled streams cut off", func() bool {
		return g.hub.Subscribers() == 2 && gaugeValue(g.metrics.Events.SSEClients) == 2
	})
	a.mu.Lock()
	nA := len(a.ids["acct-a"])
	a.mu.Unlock()
	clocktest.Eventually(t, 10*time.Second, "the healthy streams caught up", func() bool {
		return healthyA.count() == nA && healthyB.count() == n
	})
	closeA()
	closeB()
	for _, c := range raws {
		c.Close()
	}
	tr.CloseIdleConnections()
	clocktest.Eventually(t, 10*time.Second, "no stream counted", func() bool {
		return gaugeValue(g.metrics.Events.SSEClients) == 0
	})
	heap, goroutines := p.End()

	worstA := a.worstDelay(t, "the healthy stream of the same tenant", "acct-a", healthyA)
	worstB := a.worstDelay(t, "the healthy stream of another tenant", "acct-b", healthyB)
	a.mu.Lock()
	for i, got := range slowGot {
		if fmt.Sprint(got) != fmt.Sprint(a.ids["acct-a"][:n]) {
			t.Errorf("slow reader %d got %d events, want all %d in order, once each", i, len(got), n)
		}
	}
	a.mu.Unlock()
	t.Logf("%d stalled and %d slow streams (resumed %d times), 2×%d events of 16 KiB and %d of 64 KiB: worst healthy delay %v (same tenant) and %v (another); peak heap in use %.1f MiB, peak goroutines %d (baseline %d)",
		stalled, slow, reconnects.Load(), n, nA-n, worstA, worstB, float64(heap)/(1<<20), goroutines, baseline)
	// Generous bounds: a hub that waited on a stalled stream would hold
	// every stream up by the write timeout per event, far past them.
	if worst := max(worstA, worstB); worst > 5*time.Second {
		t.Errorf("a healthy stream waited %v for an event, want under 5 s", worst)
	}
	if heap > 128<<20 {
		t.Errorf("peak heap in use %d MiB, want under 128 MiB", heap>>20)
	}
	proctest.GoroutinesBackTo(t, baseline)
}

// TestEventStreamReconnectStorm reconnects 200 times with old
// Last-Event-IDs, some older than the events kept, while healthy streams
// of the same and of another tenant follow live events: each replay reads
// the log a page at a time (memory per stream stays bounded however long
// the log), starts at the right event, and the live streams are not held
// up.
func TestEventStreamReconnectStorm(t *testing.T) {
	const kept = 5000
	payload := strings.Repeat("y", 1<<10)
	t.Run("memory", func(t *testing.T) {
		clock := clocktest.At(time.Now().Add(-3 * time.Hour))
		log := events.NewMemoryLog(clock.Now, 90*time.Minute)
		expired := appendEvents(t, log, "acct-a", 50, payload)
		clock.Advance(2 * time.Hour) // the first ones are no longer kept
		keptIDs := appendEvents(t, log, "acct-a", kept, payload)
		clock.Set(time.Now())
		runReconnectStorm(t, log, expired, keptIDs, payload)
	})
	t.Run("redis", func(t *testing.T) {
		rdb, prefix := redistest.Open(t)
		log := events.NewRedisLog(rdb, prefix, 0)
		keptIDs := appendEvents(t, log, "acct-a", kept, payload)
		// Older than every event kept: what an id from before the
		// retention looks like.
		expired := []string{"1-0", "1000000000000-5"}
		runReconnectStorm(t, log, expired, keptIDs, payload)
	})
}

func appendEvents(t *testing.T, log events.Log, account string, n int, payload string) []string {
	t.Helper()
	out := make([]string, 0, n)
	for i := range n {
		e, err := log.Append(context.Background(), account, events.CallUpdated,
			domain.Call{ID: fmt.Sprint(i), Source: domain.SourcePhonewagon, ContactName: &payload})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e.ID)
	}
	return out
}

func runReconnectStorm(t *testing.T, log events.Log, expired, kept []string, payload string) {
	g := newEventsGateway(t, log, eventsOptions{writeTimeout: time.Second})
	acme, other := token(t, "acme", auth.ScopeCallsRead), token(t, "other", auth.ScopeCallsRead)
	tr := &http.Transport{DisableKeepAlives: true}
	client := &http.Client{Transport: tr}
	baseline := runtime.NumGoroutine()
	p := proctest.SamplePeaks()

	healthyA, closeA := openLive(t, client, g, acme)
	healthyB, closeB := openLive(t, client, g, other)
	clocktest.Eventually(t, 10*time.Second, "the live streams open", func() bool { return g.hub.Subscribers() == 2 })
	a := &appender{ids: map[string][]string{}, started: map[string]time.Time{}}
	live := make(chan struct{})
	go func() {
		defer close(live)
		a.run(t, log, []string{"acct-a", "acct-b"}, 100, 20*time.Millisecond, payload)
	}()

	// 40 clients reconnect 5 times each: a few read their whole replay,
	// half never read (each holds what its replay has read of the log
	// until the gateway gives up on it), the rest read a little and hang
	// up.
	const workers, rounds = 40, 5
	var (
		wg             sync.WaitGroup
		full, stalled  atomic.Int64
		wrongFirst     atomic.Int64
		firstMismatch  atomic.Value
		replayedEvents atomic.Int64
		cut            atomic.Int64
	)
	for w := range workers {
		wg.Go(func() {
			for k := range rounds {
				i := w*rounds + k
				last, want := expired[i%len(expired)], kept[0]
				if i%3 != 0 {
					j := (i * 37) % (len(kept) - 1)
					last, want = kept[j], kept[j+1]
				}
				if i%2 == 1 { // never reads: held until the gateway gives up on it
					c, err := dialStream(g, acme, last)
					if err != nil {
						t.Error(err)
						return
					}
					time.Sleep(1500 * time.Millisecond)
					c.Close()
					stalled.Add(1)
					continue
				}
				resp, err := streamOver(client, g, acme, last)
				if err != nil {
					t.Error(err)
					return
				}
				s := &sseStream{resp: resp, r: bufio.NewReader(resp.Body)}
				readAll := i%40 == 0
				for n := 0; readAll || n < 10; n++ {
					e, err := s.next()
					if err != nil {
						// Cut off (too slow on a busy machine): it would
						// resume by id.
						cut.Add(1)
						break
					}
					if n == 0 && e.id != want {
						wrongFirst.Add(1)
						firstMismatch.Store(fmt.Sprintf("after %s got %s, want %s", last, e.id, want))
					}
					replayedEvents.Add(1)
					if readAll && e.id == kept[len(kept)-1] {
						full.Add(1)
						break
					}
				}
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	<-live
	clocktest.Eventually(t, 10*time.Second, "the live streams caught up", func() bool {
		return healthyA.count() == 100 && healthyB.count() == 100
	})
	closeA()
	closeB()
	tr.CloseIdleConnections()
	clocktest.Eventually(t, 10*time.Second, "no stream left", func() bool {
		return g.hub.Subscribers() == 0 && gaugeValue(g.metrics.Events.SSEClients) == 0
	})
	heap, goroutines := p.End()

	if n := wrongFirst.Load(); n > 0 {
		t.Errorf("%d replays started at the wrong event, e.g. %v", n, firstMismatch.Load())
	}
	worstA := a.worstDelay(t, "the live stream of the same tenant", "acct-a", healthyA)
	worstB := a.worstDelay(t, "the live stream of another tenant", "acct-b", healthyB)
	t.Logf("%d reconnections (%d read their whole replay of %d events of 1 KiB, %d never read, %d cut off), %d replayed events read: worst live delay %v (same tenant) and %v (another); peak heap in use %.1f MiB, peak goroutines %d (baseline %d)",
		workers*rounds, full.Load(), len(kept), stalled.Load(), cut.Load(), replayedEvents.Load(), worstA, worstB, float64(heap)/(1<<20), goroutines, baseline)
	// Generous for a busy machine; replays that took every connection
	// of the log's client from the feeds held them up past it.
	if worst := max(worstA, worstB); worst > 5*time.Second {
		t.Errorf("a live stream waited %v for an event during the storm, want under 5 s", worst)
	}
	// Generous, and far below what replays loaded whole would take: the
	// 20 streams that never read would each hold the 5000 events (over
	// 6 MiB decoded) for a second.
	if heap > 64<<20 {
		t.Errorf("peak heap in use %d MiB during the storm, want under 64 MiB", heap>>20)
	}
	proctest.GoroutinesBackTo(t, baseline)
}

// TestAReplayEndsWhenTheHubCloses: a stream replaying a long log ends at
// the next page once the hub closes (shutdown) instead of sending the rest
// of the log first.
func TestAReplayEndsWhenTheHubCloses(t *testing.T) {
	log := events.NewMemoryLog(nil, 0)
	const n = 2000
	appendEvents(t, log, "acct-a", n, strings.Repeat("w", 8<<10))
	g := newEventsGateway(t, log, eventsOptions{})
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := streamOver(&http.Client{Transport: tr}, g, token(t, "acme", auth.ScopeCallsRead), "0-0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	s := &sseStream{resp: resp, r: bufio.NewReader(resp.Body)}
	if _, err := s.next(); err != nil {
		t.Fatal(err)
	}
	g.hub.Close()
	got := 1
	for {
		if _, err := s.next(); err != nil {
			break
		}
		got++
	}
	t.Logf("%d of the %d events replayed after the hub closed", got-1, n)
	if got >= n {
		t.Fatalf("the replay sent all %d events after the hub closed, want it ended at the next page", n)
	}
}
