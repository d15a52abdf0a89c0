package events

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"switchboard/internal/proctest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/clocktest"
	"switchboard/internal/domain"
	"switchboard/internal/redistest"
)

// rawReceiver is a webhook endpoint on a bare listener: it reads each
// request whole, then hands the connection to behave, and closes it when
// behave returns. It can do what no well-behaved server does.
type rawReceiver struct {
	url      string
	ln       net.Listener
	requests atomic.Int64
	wg       sync.WaitGroup
	conns    sync.Map // net.Conn → struct{}: closed with the receiver
}

func newRawReceiver(t *testing.T, behave func(c net.Conn)) *rawReceiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rc := &rawReceiver{url: "http://" + ln.Addr().String() + "/hooks", ln: ln}
	rc.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			rc.conns.Store(c, struct{}{})
			rc.wg.Go(func() {
				defer func() { c.Close(); rc.conns.Delete(c) }()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				rc.requests.Add(1)
				behave(c)
			})
		}
	})
	return rc
}

// close stops accepting, closes every connection and waits for their
// goroutines.
func (rc *rawReceiver) close() {
	rc.ln.Close()
	rc.conns.Range(func(c, _ any) bool { c.(net.Conn).Close(); return true })
	rc.wg.Wait()
}

// untilClosed blocks until the dispatcher closes the connection: a
// receiver that never answers.
func untilClosed(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

// resetAfter writes head, waits pause (for the dispatcher to read it),
// then resets the connection (RST, not FIN).
func resetAfter(head string, pause time.Duration) func(net.Conn) {
	return func(c net.Conn) {
		_, _ = io.WriteString(c, head)
		time.Sleep(pause)
		_ = c.(*net.TCPConn).SetLinger(0)
	}
}

// answer writes a whole response and closes the connection.
func answer(status int, headers string) func(net.Conn) {
	return func(c net.Conn) {
		fmt.Fprintf(c, "HTTP/1.1 %d %s\r\n%sContent-Length: 0\r\nConnection: close\r\n\r\n", status, http.StatusText(status), headers)
	}
}

// trickle writes head, then s one byte at a time, every; then waits for
// the close.
func trickle(head, s string, every time.Duration) func(net.Conn) {
	return func(c net.Conn) {
		if _, err := io.WriteString(c, head); err != nil {
			return
		}
		for i := range len(s) {
			if _, err := c.Write([]byte{s[i]}); err != nil {
				return
			}
			time.Sleep(every)
		}
		untilClosed(c)
	}
}

// endless answers head, then writes body chunks until the connection is
// closed: a body with no end.
func endless(head string) func(net.Conn) {
	return func(c net.Conn) {
		if _, err := io.WriteString(c, head); err != nil {
			return
		}
		chunk := []byte(strings.Repeat("x", 64<<10))
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}
}

// countingTransport counts the bytes the dispatcher reads of receivers'
// bodies, per response.
type countingTransport struct {
	base      http.RoundTripper
	mu        sync.Mutex
	responses int
	maxRead   int64
}

func (ct *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := ct.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &countingBody{ReadCloser: resp.Body, ct: ct}
	ct.mu.Lock()
	ct.responses++
	ct.mu.Unlock()
	return resp, nil
}

type countingBody struct {
	io.ReadCloser
	ct *countingTransport
	n  int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	b.ct.mu.Lock()
	b.ct.maxRead = max(b.ct.maxRead, b.n)
	b.ct.mu.Unlock()
	return n, err
}

// hostileQueue is a log and the delivery queue on it.
type hostileQueue struct {
	log   Log
	queue Queue
}

// TestHostileWebhookReceivers runs endpoints that hang, reset, trickle,
// redirect, answer 410, or answer a body or head without end, next to a
// healthy endpoint of another tenant and account, and checks what each
// costs: every attempt ends within the attempt timeout, nothing of a body
// past a few KiB is read, the healthy endpoint keeps receiving at once,
// and memory and goroutines stay bounded and go back when it stops.
func TestHostileWebhookReceivers(t *testing.T) {
	fixtures := map[string]func(t *testing.T) hostileQueue{
		"memory": func(*testing.T) hostileQueue {
			l := NewMemoryLog(nil, 0)
			return hostileQueue{l, NewMemoryQueue(l)}
		},
		"redis": func(t *testing.T) hostileQueue {
			rdb, prefix := redistest.Open(t)
			l := NewRedisLog(rdb, prefix, 0)
			return hostileQueue{l, NewRedisQueue(rdb, l)}
		},
	}
	for name, fixture := range fixtures {
		t.Run(name, func(t *testing.T) { runHostileReceivers(t, fixture(t)) })
	}
}

func runHostileReceivers(t *testing.T, f hostileQueue) {
	ctx := context.Background()
	// The attempt timeout is short so that the hostile endpoints are
	// attempted many times; the healthy endpoint's delay is compared with
	// it: had a hostile one held the healthy one up, its delay would be
	// at least one timeout.
	const attemptTimeout = 3 * time.Second
	baseline := runtime.NumGoroutine()

	target := newRawReceiver(t, answer(http.StatusNoContent, ""))
	redirect := func(code int) func(net.Conn) { return answer(code, "Location: "+target.url+"\r\n") }
	hostile := []struct {
		name   string
		behave func(net.Conn)
		// status is the status the endpoint's last failure records (0: no
		// answer); delivered: its attempts deliver instead.
		status    int
		delivered bool
	}{
		{"hangs", untilClosed, 0, false},
		{"resets mid-head", resetAfter("HTTP/1.1 200 OK\r\nContent-Le", 0), 0, false},
		{"trickles its head one byte at a time", trickle("", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 100*time.Millisecond), 0, false},
		{"trickles its body one byte at a time", trickle("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", strings.Repeat("x", 200), 50*time.Millisecond), 0, true},
		{"resets mid-body after a 2xx", resetAfter("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nxx", 200*time.Millisecond), 0, true},
		{"redirects 301", redirect(301), 301, false},
		{"redirects 302", redirect(302), 302, false},
		{"redirects 303", redirect(303), 303, false},
		{"redirects 307", redirect(307), 307, false},
		{"redirects 308", redirect(308), 308, false},
		{"answers 410", answer(http.StatusGone, ""), 410, false},
		{"answers 500 with a body without end", endless("HTTP/1.1 500 Internal Server Error\r\n\r\n"), 500, false},
		{"answers 200 with a body without end", endless("HTTP/1.1 200 OK\r\n\r\n"), 0, true},
		{"answers a head without end", endless("HTTP/1.1 200 OK\r\nX-Padding: "), 0, false},
	}
	var (
		receivers []*rawReceiver
		eps       []Endpoint
	)
	for i, h := range hostile {
		rc := newRawReceiver(t, h.behave)
		receivers = append(receivers, rc)
		eps = append(eps, Endpoint{Tenant: "acme", Index: i, Account: "acct", URL: rc.url, Secret: domain.Secret(testWebhookSecret)})
	}

	// The healthy endpoint of another tenant and account notes when each
	// event arrives.
	var (
		mu      sync.Mutex
		arrived = map[string]time.Time{}
	)
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		arrived[r.Header.Get("webhook-id")] = time.Now()
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	eps = append(eps, Endpoint{Tenant: "beta", Account: "other-acct", URL: healthy.URL, Secret: domain.Secret(testWebhookSecret)})
	for _, ep := range eps {
		if err := f.queue.Join(ctx, ep.Account, ep.Group()); err != nil {
			t.Fatal(err)
		}
	}

	// A few events are owed before the dispatcher starts: the first
	// read hands each endpoint several at once.
	for range 5 {
		if _, err := f.log.Append(ctx, "acct", CallCreated, testCall("owed")); err != nil {
			t.Fatal(err)
		}
	}
	counting := &countingTransport{base: NewWebhookClient(nil).Transport}
	client := NewWebhookClient(counting)
	var o outcomes
	p := proctest.SamplePeaks()
	d, err := NewDispatcher(DispatcherConfig{Queue: f.queue, Endpoints: eps, Consumer: "r1", Client: client,
		ScanEvery: 20 * time.Millisecond, BaseDelay: 100 * time.Millisecond, MaxDelay: 200 * time.Millisecond,
		AttemptTimeout: attemptTimeout, TakeoverIdle: 3 * attemptTimeout, OnAttempt: o.record,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { d.Run(runCtx); close(stopped) }()
	defer func() { stop(); <-stopped }()

	// Events for both accounts for two attempt timeouts: each hostile
	// endpoint is attempted again and again meanwhile.
	sent := map[string]time.Time{}
	for end := time.Now().Add(2 * attemptTimeout); time.Now().Before(end); {
		if _, err := f.log.Append(ctx, "acct", CallCreated, testCall("hostile")); err != nil {
			t.Fatal(err)
		}
		e, err := f.log.Append(ctx, "other-acct", CallCreated, testCall("healthy"))
		if err != nil {
			t.Fatal(err)
		}
		sent[e.ID] = time.Now()
		time.Sleep(50 * time.Millisecond) // the pace of the events
	}
	clocktest.Eventually(t, 10*time.Second, "every healthy event delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(arrived) == len(sent)
	})
	// Every hostile endpoint has been attempted and its attempts ended:
	// the last result of each is recorded.
	var st []EndpointStatus
	clocktest.Eventually(t, 3*attemptTimeout, "every hostile endpoint attempted", func() bool {
		st, err = d.Status(ctx, "acme")
		if err != nil || len(st) != len(hostile) {
			return false
		}
		for _, s := range st {
			if s.Success.At.IsZero() && s.Failure.At.IsZero() {
				return false
			}
		}
		return true
	})
	stop()
	<-stopped
	heap, goroutines := p.End()

	// The healthy endpoint was never held up by the hostile ones.
	var worst time.Duration
	mu.Lock()
	for id, at := range sent {
		worst = max(worst, arrived[id].Sub(at))
	}
	mu.Unlock()
	t.Logf("%d healthy events, worst delivery delay %v; %d hostile responses, at most %d bytes read of one body; peak heap in use %.1f MiB, peak goroutines %d (baseline %d)",
		len(sent), worst, counting.responses, counting.maxRead, float64(heap)/(1<<20), goroutines, baseline)
	if worst >= attemptTimeout {
		t.Errorf("the healthy endpoint of another tenant waited %v for an event, want less than one attempt timeout (%v)", worst, attemptTimeout)
	}

	for i, h := range hostile {
		s, n := st[i], receivers[i].requests.Load()
		switch {
		case h.delivered && s.Success.At.IsZero():
			t.Errorf("%s: nothing delivered (last failure %+v), want its 2xx to deliver", h.name, s.Failure)
		case !h.delivered && (s.Failure.At.IsZero() || s.Failure.Status != h.status || !s.Success.At.IsZero()):
			t.Errorf("%s: last success %+v, last failure %+v, want only failures, the last with status %d", h.name, s.Success, s.Failure, h.status)
		case h.status == http.StatusGone && (n != 1 || !s.Disabled):
			t.Errorf("%s: %d requests, disabled %v, want one request, then disabled", h.name, n, s.Disabled)
		case !h.delivered && h.status != http.StatusGone && (n < 2 || s.Backlog == 0):
			// Its attempts ended (by the attempt timeout, at worst) and
			// were retried; what it was sent is still owed.
			t.Errorf("%s: %d requests, backlog %d, want its attempts retried and the events still owed", h.name, n, s.Backlog)
		}
	}
	if n := target.requests.Load(); n != 0 {
		t.Errorf("the redirects' target got %d requests, want none: redirects are not followed", n)
	}
	if counting.maxRead > maxReceiverBodyBytes {
		t.Errorf("the dispatcher read %d bytes of one receiver's body, want at most %d", counting.maxRead, maxReceiverBodyBytes)
	}
	if o.get(OutcomeFailed) == 0 || o.get(OutcomeGone) != 1 {
		t.Errorf("outcomes %v, want failures and one gone", o.n)
	}
	// Generous: what one attempt may hold (a head of 16 KiB, a body read
	// of 4 KiB) times the endpoints, and the test's own, is far below it;
	// a body or head read whole would pass it within the first attempts.
	if heap > 64<<20 {
		t.Errorf("peak heap in use %d MiB, want under 64 MiB", heap>>20)
	}

	// Everything stops: no goroutine stays behind.
	healthy.Close()
	for _, rc := range append(receivers, target) {
		rc.close()
	}
	counting.base.(*http.Transport).CloseIdleConnections()
	proctest.GoroutinesBackTo(t, baseline)
}

// stuckLog is a log whose Last hangs for one account until released: a
// shared state that answers one account slowly.
type stuckLog struct {
	Log
	account string
	release chan struct{}
}

func (l stuckLog) Last(ctx context.Context, account string) (string, error) {
	if account == l.account {
		select {
		case <-l.release:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	return l.Log.Last(ctx, account)
}

// TestASlowFirstSubscriptionHoldsUpNoOtherAccount: the first stream of an
// account reads where its feed starts from the shared state; while that
// answer is slow, the hub keeps fanning out every other account's events
// and taking their subscriptions.
func TestASlowFirstSubscriptionHoldsUpNoOtherAccount(t *testing.T) {
	ctx := context.Background()
	mem := NewMemoryLog(nil, 0)
	release := make(chan struct{})
	h := newTestHub(t, stuckLog{Log: mem, account: "slow", release: release}, 16)
	live, err := h.Subscribe(ctx, "acct")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	defer close(release) // first: nothing else gets the hub while the slow one holds it
	subscribing := make(chan struct{})
	go func() {
		close(subscribing)
		if s, err := h.Subscribe(ctx, "slow"); err == nil {
			s.Close()
		}
	}()
	<-subscribing
	time.Sleep(50 * time.Millisecond) // the slow account's Subscribe is now waiting on the log
	for i := range 3 {
		e, err := mem.Append(ctx, "acct", CallCreated, testCall(fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		if got := receive(t, live); got.ID != e.ID {
			t.Fatalf("got %s, want %s", got.ID, e.ID)
		}
	}
	other, err := h.Subscribe(ctx, "acct")
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	if n := h.Subscribers(); n != 1 {
		t.Fatalf("%d subscribers while the slow one waits, want 1", n)
	}
}
