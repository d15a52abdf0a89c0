package events

import (
	"context"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/clocktest"
	"switchboard/internal/domain"
	"switchboard/internal/redistest"
)

var otherWebhookSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210"))

// swapFixture is one backend under the reload tests: the log, a queue per
// replica on it, and the dispatchers' timing (the memory clock is moved by
// the test; Redis's idle times follow its own clock, so retries are made
// short there instead).
type swapFixture struct {
	log      Log
	newQueue func() Queue
	clock    *clocktest.Clock // nil on Redis
	rdb      *redis.Client    // nil in memory
}

func (f swapFixture) config(consumer string, eps ...Endpoint) DispatcherConfig {
	cfg := DispatcherConfig{Queue: f.newQueue(), Endpoints: eps, Consumer: consumer, ScanEvery: 5 * time.Millisecond}
	if f.clock != nil {
		cfg.Now = f.clock.Now
	} else {
		cfg.BaseDelay = 50 * time.Millisecond
	}
	return cfg
}

// join joins the endpoints' groups, as a dispatcher's loops do when they
// start, so that the events a test records next are theirs.
func (f swapFixture) join(t *testing.T, eps ...Endpoint) {
	t.Helper()
	for _, ep := range eps {
		if err := f.newQueue().Join(context.Background(), ep.Account, ep.Group()); err != nil {
			t.Fatal(err)
		}
	}
}

// letRetriesBeDue moves the memory clock past the first retry delay; on
// Redis that delay is short and passes by itself.
func (f swapFixture) letRetriesBeDue() {
	if f.clock != nil {
		f.clock.Advance(DefaultBaseDelay)
	}
}

func swapFixtures() map[string]func(t *testing.T) swapFixture {
	return map[string]func(t *testing.T) swapFixture{
		"memory": func(t *testing.T) swapFixture {
			clock := clocktest.At(time.Now())
			l := NewMemoryLog(clock.Now, 0)
			q := NewMemoryQueue(l) // one replica: every dispatcher shares it
			return swapFixture{log: l, newQueue: func() Queue { return q }, clock: clock}
		},
		"redis": func(t *testing.T) swapFixture {
			rdb, prefix := redistest.Open(t)
			l := NewRedisLog(rdb, prefix, 0)
			return swapFixture{log: l, newQueue: func() Queue { return NewRedisQueue(rdb, l) }, rdb: rdb}
		},
	}
}

// removals records OnRemoved calls.
type removals struct {
	mu  sync.Mutex
	got map[string]int64
}

func (r *removals) record(e Endpoint, n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.got == nil {
		r.got = map[string]int64{}
	}
	r.got[e.Name()] += n
}

func (r *removals) get(name string) (int64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, ok := r.got[name]
	return n, ok
}

func TestDispatcherReload(t *testing.T) {
	for name, newFixture := range swapFixtures() {
		t.Run(name, func(t *testing.T) { runDispatcherReloadSuite(t, newFixture) })
	}
}

func runDispatcherReloadSuite(t *testing.T, newFixture func(t *testing.T) swapFixture) {
	ctx := context.Background()

	t.Run("an endpoint added by a reload receives the next event and is listed", func(t *testing.T) {
		f := newFixture(t)
		old, added := newReceiver(t, status(200)), newReceiver(t, status(200))
		epOld := endpointFor(old.URL)
		f.join(t, epOld)
		d, _ := startDispatcher(t, f.config("r1", epOld))
		epAdded := endpointFor(added.URL, CallCreated)
		epAdded.Index = 1
		ch, err := d.SetEndpoints(ctx, []Endpoint{epOld, epAdded})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ch.Added, []string{"acme/1"}) || len(ch.Removed)+len(ch.Changed)+len(ch.Enabled) != 0 {
			t.Fatalf("changes: got %+v, want acme/1 added, nothing else", ch)
		}
		e, _ := f.log.Append(ctx, "acct", CallCreated, testCall("6315"))
		clocktest.Eventually(t, 10*time.Second, "the added endpoint's delivery", func() bool { return len(added.requests()) == 1 })
		if got := added.requests()[0].id; got != e.ID {
			t.Fatalf("got %s, want %s", got, e.ID)
		}
		st, err := d.Status(ctx, "acme")
		if err != nil || len(st) != 2 || st[1].URL != added.URL || !slices.Equal(st[1].Types, []Type{CallCreated}) {
			t.Fatalf("status: got %+v (%v), want both endpoints, the added one second", st, err)
		}
	})

	t.Run("a removed endpoint receives nothing more and what it was owed is dropped and counted", func(t *testing.T) {
		f := newFixture(t)
		kept, gone := newReceiver(t, status(200)), newReceiver(t, status(500))
		epKept, epGone := endpointFor(kept.URL), endpointFor(gone.URL)
		epGone.Index = 1
		var o outcomes
		var r removals
		cfg := f.config("r1", epKept, epGone)
		cfg.OnAttempt, cfg.OnRemoved = o.record, r.record
		f.join(t, epKept, epGone)
		d, _ := startDispatcher(t, cfg)
		for i := range 2 {
			f.log.Append(ctx, "acct", CallCreated, testCall(strconv.Itoa(i)))
		}
		clocktest.Eventually(t, 10*time.Second, "both events failed at the removed endpoint", func() bool { return o.get(OutcomeFailed) == 2 })
		ch, err := d.SetEndpoints(ctx, []Endpoint{epKept})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ch.Removed, []string{"acme/1"}) || ch.Dropped != 2 {
			t.Fatalf("changes: got %+v, want acme/1 removed with 2 events dropped", ch)
		}
		if n, ok := r.get("acme/1"); !ok || n != 2 {
			t.Fatalf("OnRemoved: got %d (called %v), want 2", n, ok)
		}
		before := len(gone.requests())
		f.letRetriesBeDue()
		e, _ := f.log.Append(ctx, "acct", CallCreated, testCall("after"))
		clocktest.Eventually(t, 10*time.Second, "the kept endpoint's delivery of the next event", func() bool {
			got := kept.requests()
			return len(got) > 0 && got[len(got)-1].id == e.ID
		})
		if got := len(gone.requests()); got != before {
			t.Fatalf("the removed endpoint got %d more requests, want none", got-before)
		}
		if st, _ := d.Status(ctx, "acme"); len(st) != 1 || st[0].URL != kept.URL {
			t.Fatalf("status: got %+v, want only the kept endpoint", st)
		}
	})

	t.Run("an attempt in flight during a reload finishes, and its retry keeps the webhook-id and schedule with the new secret", func(t *testing.T) {
		f := newFixture(t)
		release := make(chan struct{})
		var canceled bool
		var mu sync.Mutex
		rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				select {
				case <-release:
				case <-r.Context().Done():
					mu.Lock()
					canceled = true
					mu.Unlock()
				}
				w.WriteHeader(500)
			}
		})
		var o outcomes
		ep := endpointFor(rc.URL)
		cfg := f.config("r1", ep)
		cfg.OnAttempt = o.record
		f.join(t, ep)
		d, _ := startDispatcher(t, cfg)
		e, _ := f.log.Append(ctx, "acct", CallCreated, testCall("6315"))
		clocktest.Eventually(t, 10*time.Second, "the first attempt under way", func() bool { return len(rc.requests()) == 1 })
		pendingBefore, err := cfg.Queue.Pending(ctx, "acct", ep.Group(), 10)
		if err != nil {
			t.Fatal(err)
		}

		changed := ep
		changed.Index, changed.Secret = 2, domain.Secret(otherWebhookSecret)
		ch, err := d.SetEndpoints(ctx, []Endpoint{changed})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ch.Changed, []string{"acme/2"}) || len(ch.Added)+len(ch.Removed) != 0 {
			t.Fatalf("changes: got %+v, want acme/2 changed only", ch)
		}
		pendingAfter, err := cfg.Queue.Pending(ctx, "acct", ep.Group(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(pendingBefore) != 1 || len(pendingAfter) != 1 || pendingAfter[0].ID != e.ID ||
			pendingAfter[0].Deliveries != pendingBefore[0].Deliveries || pendingAfter[0].Consumer != pendingBefore[0].Consumer {
			t.Fatalf("pending: got %+v after the reload, %+v before, want the same attempt", pendingAfter, pendingBefore)
		}

		close(release)
		clocktest.Eventually(t, 10*time.Second, "the in-flight attempt over", func() bool { return o.get(OutcomeFailed) == 1 })
		f.letRetriesBeDue()
		clocktest.Eventually(t, 10*time.Second, "the retry delivered", func() bool { return o.get(OutcomeDelivered) == 1 })
		got := rc.requests()
		mu.Lock()
		wasCanceled := canceled
		mu.Unlock()
		if wasCanceled {
			t.Fatal("the attempt in flight was cut off by the reload, want it to finish")
		}
		retry := got[len(got)-1]
		ts, _ := strconv.ParseInt(retry.timestamp, 10, 64)
		if len(got) != 2 || retry.id != e.ID || retry.signature != referenceSignature(otherWebhookSecret, retry.id, ts, retry.body) {
			t.Fatalf("got %d requests, the last %s signed %s; want 2, the retry of %s signed with the new secret", len(got), retry.id, retry.signature, e.ID)
		}
	})

	t.Run("a reload enables an endpoint a 410 disabled, and it receives the next event", func(t *testing.T) {
		f := newFixture(t)
		rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				w.WriteHeader(http.StatusGone)
			}
		})
		var o outcomes
		ep := endpointFor(rc.URL)
		cfg := f.config("r1", ep)
		cfg.OnAttempt = o.record
		f.join(t, ep)
		d, _ := startDispatcher(t, cfg)
		f.log.Append(ctx, "acct", CallCreated, testCall("1"))
		clocktest.Eventually(t, 10*time.Second, "the 410", func() bool { return o.get(OutcomeGone) == 1 })
		if st, _ := d.Status(ctx, "acme"); !st[0].Disabled {
			t.Fatalf("status after the 410: got %+v, want disabled", st[0])
		}
		ch, err := d.SetEndpoints(ctx, []Endpoint{ep})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ch.Enabled, []string{"acme/0"}) || len(ch.Changed) != 0 {
			t.Fatalf("changes: got %+v, want acme/0 enabled", ch)
		}
		if st, _ := d.Status(ctx, "acme"); st[0].Disabled {
			t.Fatalf("status after the reload: got %+v, want enabled", st[0])
		}
		next, _ := f.log.Append(ctx, "acct", CallCreated, testCall("2"))
		clocktest.Eventually(t, 10*time.Second, "the next event delivered", func() bool {
			return slices.ContainsFunc(rc.requests(), func(r received) bool { return r.id == next.ID })
		})
	})

	t.Run("a reload with an invalid secret changes nothing and does not quote it", func(t *testing.T) {
		f := newFixture(t)
		rc := newReceiver(t, status(200))
		ep := endpointFor(rc.URL)
		f.join(t, ep)
		d, _ := startDispatcher(t, f.config("r1", ep))
		bad := endpointFor("https://elsewhere.example/hook")
		bad.Secret = "whsec_c2hvcnQtYnV0LXNlY3JldA=="
		_, err := d.SetEndpoints(ctx, []Endpoint{bad})
		if err == nil || strings.Contains(err.Error(), "c2hvcnQtYnV0LXNlY3JldA") {
			t.Fatalf("got %v, want an error that does not quote the secret", err)
		}
		if st, _ := d.Status(ctx, "acme"); len(st) != 1 || st[0].URL != rc.URL {
			t.Fatalf("status: got %+v, want the endpoint in force", st)
		}
	})
}

func TestReloadAcrossReplicasOnRedis(t *testing.T) {
	ctx := context.Background()

	t.Run("two replicas removing an endpoint count what it was owed once", func(t *testing.T) {
		f := swapFixtures()["redis"](t)
		rc := newReceiver(t, status(503))
		ep := endpointFor(rc.URL)
		var o outcomes
		var d [2]*Dispatcher
		for i := range d {
			cfg := f.config("r"+strconv.Itoa(i+1), ep)
			cfg.BaseDelay, cfg.OnAttempt = time.Hour, o.record // one attempt per event
			d[i], _ = startDispatcher(t, cfg)
		}
		q := f.newQueue()
		if err := q.Join(ctx, "acct", ep.Group()); err != nil {
			t.Fatal(err)
		}
		const n = 4
		for i := range n {
			f.log.Append(ctx, "acct", CallCreated, testCall(strconv.Itoa(i)))
		}
		clocktest.Eventually(t, 10*time.Second, "every event attempted", func() bool { return o.get(OutcomeFailed) == n })
		var dropped int64
		for _, r := range d {
			ch, err := r.SetEndpoints(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			dropped += ch.Dropped
		}
		if dropped != n {
			t.Fatalf("dropped: got %d over both replicas, want %d", dropped, n)
		}
	})

	t.Run("a replica that still has an endpoint another one removed joins again and delivers", func(t *testing.T) {
		f := swapFixtures()["redis"](t)
		rc := newReceiver(t, status(200))
		ep := endpointFor(rc.URL)
		reloaded, _ := startDispatcher(t, f.config("r1", ep))
		startDispatcher(t, f.config("r2", ep))
		q := f.newQueue()
		if err := q.Join(ctx, "acct", ep.Group()); err != nil {
			t.Fatal(err)
		}
		if _, err := reloaded.SetEndpoints(ctx, nil); err != nil {
			t.Fatal(err)
		}
		stream := f.log.(*RedisLog).StreamKey("acct")
		clocktest.Eventually(t, 10*time.Second, "the group joined again by r2", func() bool {
			groups, err := f.rdb.XInfoGroups(ctx, stream).Result()
			return err == nil && len(groups) == 1
		})
		e, _ := f.log.Append(ctx, "acct", CallCreated, testCall("6315"))
		clocktest.Eventually(t, 10*time.Second, "r2's delivery", func() bool {
			return slices.ContainsFunc(rc.requests(), func(r received) bool { return r.id == e.ID })
		})
	})
}
