package events

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/clocktest"
	"switchboard/internal/domain"
	"switchboard/internal/redistest"
)

var testWebhookSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// received is one request a test receiver got.
type received struct {
	id, timestamp, signature string
	body                     []byte
}

// receiver is a webhook endpoint answering with answer(n), n counting
// requests from 1.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(n int, w http.ResponseWriter, r *http.Request)
}

func newReceiver(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature"), body})
		n := len(rc.got)
		rc.mu.Unlock()
		rc.answer(n, w, r)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func status(code int) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

// outcomes counts OnAttempt calls.
type outcomes struct {
	mu sync.Mutex
	n  map[string]int
}

func (o *outcomes) record(_ Endpoint, outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[string]int{}
	}
	o.n[outcome]++
}

func (o *outcomes) get(outcome string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n[outcome]
}

func startDispatcher(t *testing.T, cfg DispatcherConfig) (*Dispatcher, context.CancelFunc) {
	t.Helper()
	d, err := NewDispatcher(cfg)
	if err != nil {
		t.Fatalf("NewDispatcher: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return d, cancel
}

// wantEachDeliveredOnce waits until ep's backlog is empty and rc received
// n events, and fails unless each was received exactly once.
func wantEachDeliveredOnce(t *testing.T, q Queue, ep Endpoint, rc *receiver, n int) {
	t.Helper()
	clocktest.Eventually(t, 20*time.Second, "every event delivered", func() bool {
		b, _ := q.Backlog(context.Background(), ep.Account, ep.Group())
		return b == 0 && len(rc.requests()) >= n
	})
	seen := map[string]int{}
	for _, r := range rc.requests() {
		seen[r.id]++
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("event %s delivered %d times, want once", id, c)
		}
	}
	if len(seen) != n {
		t.Fatalf("got %d distinct events, want %d", len(seen), n)
	}
}

func endpointFor(url string, types ...Type) Endpoint {
	return Endpoint{Tenant: "acme", Account: "acct", URL: url, Secret: domain.Secret(testWebhookSecret), Types: types}
}

func TestRetryDelays(t *testing.T) {
	d, err := NewDispatcher(DispatcherConfig{Queue: NewMemoryQueue(NewMemoryLog(nil, 0)), Consumer: "r"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		id := strconv.Itoa(1764676800000+i) + "-0"
		// The first retry is due within 10 s of the failure, scan included.
		if first := d.delay(id, 1); first < 4*time.Second || first+DefaultScanEvery > 9*time.Second {
			t.Fatalf("event %s: first delay %v, want within [4s, 8s]", id, first)
		}
		var total time.Duration
		for n := int64(1); total < 24*time.Hour; n++ {
			got := d.delay(id, n)
			if got+DefaultScanEvery > time.Hour || got <= 0 {
				t.Fatalf("event %s, attempt %d: delay %v, want in (0, 1h) with the scan", id, n, got)
			}
			if n > 1 && n < 10 && got < d.delay(id, n-1)/2 {
				t.Fatalf("event %s, attempt %d: delay %v shrank from %v", id, n, got, d.delay(id, n-1))
			}
			total += got
		}
	}
}

func TestWebhookDeliveryInMemory(t *testing.T) {
	ctx := context.Background()

	t.Run("a receiver answering 500 gets the same webhook-id again after the retry delay, each signed", func(t *testing.T) {
		clock := clocktest.At(time.Now())
		log := NewMemoryLog(clock.Now, 0)
		q := NewMemoryQueue(log)
		rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				w.WriteHeader(500)
			}
		})
		ep := endpointFor(rc.URL)
		_ = q.Join(ctx, ep.Account, ep.Group())
		var o outcomes
		startDispatcher(t, DispatcherConfig{Queue: q, Endpoints: []Endpoint{ep}, Consumer: "r1", Now: clock.Now, ScanEvery: 5 * time.Millisecond, OnAttempt: o.record})
		e, _ := log.Append(ctx, "acct", CallCreated, testCall("6315"))
		clocktest.Eventually(t, 5*time.Second, "the first attempt over", func() bool { return o.get(OutcomeFailed) == 1 })
		clock.Advance(10 * time.Second)
		clocktest.Eventually(t, 5*time.Second, "the retry", func() bool { return len(rc.requests()) == 2 })
		got := rc.requests()
		for i, r := range got {
			ts, _ := strconv.ParseInt(r.timestamp, 10, 64)
			if r.id != e.ID || r.signature != referenceSignature(testWebhookSecret, r.id, ts, r.body) {
				t.Fatalf("attempt %d: got id %s signature %s, want id %s signed", i+1, r.id, r.signature, e.ID)
			}
		}
		if got[0].timestamp == got[1].timestamp {
			t.Fatalf("got one timestamp %s for both attempts, want each attempt's own", got[0].timestamp)
		}
		clocktest.Eventually(t, 5*time.Second, "the backlog emptied", func() bool {
			n, _ := q.Backlog(ctx, "acct", ep.Group())
			return n == 0
		})
	})

	t.Run("an event still failing after 24 h is dropped and counted", func(t *testing.T) {
		clock := clocktest.At(time.Now())
		log := NewMemoryLog(clock.Now, 0)
		q := NewMemoryQueue(log)
		rc := newReceiver(t, status(503))
		ep := endpointFor(rc.URL)
		_ = q.Join(ctx, ep.Account, ep.Group())
		var o outcomes
		startDispatcher(t, DispatcherConfig{Queue: q, Endpoints: []Endpoint{ep}, Consumer: "r1", Now: clock.Now, ScanEvery: 5 * time.Millisecond, OnAttempt: o.record})
		log.Append(ctx, "acct", CallCreated, testCall("6315"))
		clocktest.Eventually(t, 5*time.Second, "the first attempt", func() bool { return o.get(OutcomeFailed) == 1 })
		clock.Advance(25 * time.Hour)
		clocktest.Eventually(t, 5*time.Second, "the event dropped", func() bool { return o.get(OutcomeDropped) == 1 })
		if n, _ := q.Backlog(ctx, "acct", ep.Group()); n != 0 {
			t.Fatalf("got backlog %d, want 0", n)
		}
	})

	t.Run("a 410 disables the endpoint, a redirect is a failure and is not followed", func(t *testing.T) {
		log := NewMemoryLog(nil, 0)
		q := NewMemoryQueue(log)
		target := newReceiver(t, status(200))
		gone := newReceiver(t, status(http.StatusGone))
		moved := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
		})
		epGone, epMoved := endpointFor(gone.URL), endpointFor(moved.URL)
		epMoved.Index = 1
		for _, ep := range []Endpoint{epGone, epMoved} {
			_ = q.Join(ctx, ep.Account, ep.Group())
		}
		d, _ := startDispatcher(t, DispatcherConfig{Queue: q, Endpoints: []Endpoint{epGone, epMoved}, Consumer: "r1", ScanEvery: 5 * time.Millisecond})
		log.Append(ctx, "acct", CallCreated, testCall("6315"))
		var st []EndpointStatus
		clocktest.Eventually(t, 5*time.Second, "both endpoints attempted", func() bool {
			st, _ = d.Status(ctx, "acme")
			return len(st) == 2 && st[0].Failure.Status != 0 && st[1].Failure.Status != 0
		})
		if !st[0].Disabled || st[0].Failure.Status != 410 {
			t.Fatalf("410 endpoint: got disabled %v, failure %d, want disabled after 410", st[0].Disabled, st[0].Failure.Status)
		}
		if st[1].Disabled || st[1].Failure.Status != http.StatusTemporaryRedirect || st[1].Backlog != 1 {
			t.Fatalf("redirecting endpoint: got %+v, want a 307 failure with the event still owed", st[1])
		}
		if n := len(target.requests()); n != 0 {
			t.Fatalf("the redirect target got %d requests, want none", n)
		}
	})

	t.Run("an endpoint receives only the types it lists", func(t *testing.T) {
		log := NewMemoryLog(nil, 0)
		q := NewMemoryQueue(log)
		rc := newReceiver(t, status(204))
		ep := endpointFor(rc.URL, CallCreated)
		_ = q.Join(ctx, ep.Account, ep.Group())
		startDispatcher(t, DispatcherConfig{Queue: q, Endpoints: []Endpoint{ep}, Consumer: "r1", ScanEvery: 5 * time.Millisecond})
		log.Append(ctx, "acct", CallUpdated, testCall("1"))
		created, _ := log.Append(ctx, "acct", CallCreated, testCall("2"))
		clocktest.Eventually(t, 5*time.Second, "nothing owed", func() bool {
			n, _ := q.Backlog(ctx, "acct", ep.Group())
			return n == 0
		})
		if got := rc.requests(); len(got) != 1 || got[0].id != created.ID {
			t.Fatalf("got %d requests, want only %s", len(got), created.ID)
		}
	})
}

func TestWebhooksOfAnotherAccountNeverReceiveItsEvents(t *testing.T) {
	ctx := context.Background()
	log := NewMemoryLog(nil, 0)
	q := NewMemoryQueue(log)
	mine, theirs := newReceiver(t, status(200)), newReceiver(t, status(200))
	epMine := endpointFor(mine.URL)
	epTheirs := Endpoint{Tenant: "beta", Account: "other-acct", URL: theirs.URL, Secret: domain.Secret(testWebhookSecret)}
	for _, ep := range []Endpoint{epMine, epTheirs} {
		_ = q.Join(ctx, ep.Account, ep.Group())
	}
	startDispatcher(t, DispatcherConfig{Queue: q, Endpoints: []Endpoint{epMine, epTheirs}, Consumer: "r1", ScanEvery: 5 * time.Millisecond})
	e, _ := log.Append(ctx, "acct", CallCreated, testCall("6315"))
	clocktest.Eventually(t, 5*time.Second, "delivered to the account's endpoint", func() bool { return len(mine.requests()) == 1 })
	if got := mine.requests()[0].id; got != e.ID {
		t.Fatalf("got %s, want %s", got, e.ID)
	}
	if n, _ := q.Backlog(ctx, "other-acct", epTheirs.Group()); n != 0 || len(theirs.requests()) != 0 {
		t.Fatalf("the other account's endpoint owes %d and got %d requests, want none", n, len(theirs.requests()))
	}
}

func TestWebhookDeliveryAcrossReplicas(t *testing.T) {
	testWebhookDeliveryAcrossReplicas(t, func(t *testing.T) (redis.Cmdable, string) { return redistest.Open(t) })
}

// testWebhookDeliveryAcrossReplicas runs replicas' dispatchers on the Redis
// log and queue of open (a client and a fresh key prefix).
func testWebhookDeliveryAcrossReplicas(t *testing.T, open func(t *testing.T) (redis.Cmdable, string)) {
	ctx := context.Background()

	t.Run("three replicas and a receiver answering 2xx deliver each event exactly once", func(t *testing.T) {
		rdb, prefix := open(t)
		log := NewRedisLog(rdb, prefix, 0)
		rc := newReceiver(t, status(200))
		ep := endpointFor(rc.URL)
		q := NewRedisQueue(rdb, log)
		if err := q.Join(ctx, ep.Account, ep.Group()); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"r1", "r2", "r3"} {
			startDispatcher(t, DispatcherConfig{Queue: NewRedisQueue(rdb, log), Endpoints: []Endpoint{ep}, Consumer: name,
				ScanEvery: 10 * time.Millisecond, BaseDelay: 50 * time.Millisecond, TakeoverIdle: 11 * time.Second})
		}
		const n = 60
		for i := range n {
			log.Append(ctx, "acct", CallCreated, testCall(strconv.Itoa(i)))
		}
		wantEachDeliveredOnce(t, q, ep, rc, n)
	})

	t.Run("a batch attempted slowly is not taken over event by event while its replica still attempts it", func(t *testing.T) {
		rdb, prefix := open(t)
		log := NewRedisLog(rdb, prefix, 0)
		rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
			time.Sleep(300 * time.Millisecond) // a slow receiver, well inside the attempt timeout
			w.WriteHeader(204)
		})
		ep := endpointFor(rc.URL)
		q := NewRedisQueue(rdb, log)
		if err := q.Join(ctx, ep.Account, ep.Group()); err != nil {
			t.Fatal(err)
		}
		const n = 10 // read in one batch by one replica: 3 s of attempts, three times TakeoverIdle
		for i := range n {
			log.Append(ctx, "acct", CallCreated, testCall(strconv.Itoa(i)))
		}
		for _, name := range []string{"r1", "r2"} {
			startDispatcher(t, DispatcherConfig{Queue: NewRedisQueue(rdb, log), Endpoints: []Endpoint{ep}, Consumer: name,
				ScanEvery: 10 * time.Millisecond, BaseDelay: 100 * time.Millisecond, TakeoverIdle: time.Second})
		}
		wantEachDeliveredOnce(t, q, ep, rc, n)
	})

	t.Run("a replica stopped mid-attempt loses nothing: another takes the event over", func(t *testing.T) {
		rdb, prefix := open(t)
		log := NewRedisLog(rdb, prefix, 0)
		release := make(chan struct{})
		rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				select { // the first attempt hangs until its replica is gone
				case <-release:
				case <-r.Context().Done():
				}
				w.WriteHeader(500)
			}
		})
		t.Cleanup(func() { close(release) })
		ep := endpointFor(rc.URL)
		q := NewRedisQueue(rdb, log)
		if err := q.Join(ctx, ep.Account, ep.Group()); err != nil {
			t.Fatal(err)
		}
		cfg := DispatcherConfig{Queue: q, Endpoints: []Endpoint{ep}, Consumer: "doomed",
			ScanEvery: 10 * time.Millisecond, BaseDelay: 20 * time.Millisecond, TakeoverIdle: 300 * time.Millisecond}
		_, stop := startDispatcher(t, cfg)
		e, _ := log.Append(ctx, "acct", CallCreated, testCall("6315"))
		clocktest.Eventually(t, 5*time.Second, "the first attempt under way", func() bool { return len(rc.requests()) == 1 })
		stop()
		cfg.Consumer = "survivor"
		startDispatcher(t, cfg)
		clocktest.Eventually(t, 10*time.Second, "the event delivered by the survivor", func() bool {
			b, _ := q.Backlog(ctx, "acct", ep.Group())
			return b == 0
		})
		got := rc.requests()
		if len(got) != 2 || got[1].id != e.ID {
			t.Fatalf("got %d requests, want the same %s twice", len(got), e.ID)
		}
	})
}
