package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/action"
	"switchboard/internal/auth"
	"switchboard/internal/breaker"
	"switchboard/internal/domain"
	"switchboard/internal/idempotency"
	"switchboard/internal/metrics"
	"switchboard/internal/upstream/upstreamhttp"
)

// actingCallWidget is a CallWidget whose actions answer from a script of
// errors, one per call (nil: success), and are counted.
type actingCallWidget struct {
	fakeCallWidget
	mu      sync.Mutex
	script  []error
	actions int
}

func (c *actingCallWidget) Perform(context.Context, action.Kind, *action.Request, string) (domain.ActionResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.actions++
	var err error
	if len(c.script) > 0 {
		err, c.script = c.script[0], c.script[1:]
	}
	return domain.ActionResult{Source: domain.SourceCallWidget}, err
}

func (c *actingCallWidget) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.actions
}

// newActionGateway is a Server whose tenant "acme" acts through cw and
// keeps its POST outcomes in store.
func newActionGateway(t *testing.T, store idempotency.Store, cw *actingCallWidget) *testGateway {
	t.Helper()
	v, err := auth.NewVerifier(auth.Config{HMACSecret: testSecret, CacheSize: -1})
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	logs := &syncBuffer{}
	s, err := New(Config{
		Logger:      slog.New(slog.NewJSONHandler(logs, nil)),
		Metrics:     metrics.New(),
		Verifier:    v,
		Tenants:     map[string]*Tenant{"acme": {ID: "acme", CallWidget: cw}},
		OpenAPIYAML: []byte("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n"),
		CursorKey:   []byte(strings.Repeat("k", 32)),
		Idempotency: store,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &testGateway{Server: s, logs: logs}
}

const textBody = `{"phone":"+17862455063","install":"+17866275049","message":"hello"}`

// sendText posts textBody to /v1/messages, with key as Idempotency-Key
// unless it is empty.
func (g *testGateway) sendText(t *testing.T, key string) (status int, replayed string, body string, hdr http.Header) {
	t.Helper()
	h := []string{"Content-Type", "application/json"}
	if key != "" {
		h = append(h, "Idempotency-Key", key)
	}
	rec := g.do(t, http.MethodPost, "/v1/messages", token(t, "acme", auth.ScopeMessagesSend), strings.NewReader(textBody), h...)
	return rec.Code, rec.Header().Get("Idempotent-Replayed"), rec.Body.String(), rec.Header()
}

// upstreamAnswer is the error the CallWidget client returns for an answer
// with status.
func upstreamAnswer(status int) error {
	resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"error":"x"}`))}
	return upstreamhttp.CheckResponse(resp, "CallWidget", time.Now())
}

func TestAKeyReplaysEveryOutcomeTheUpstreamMayHaveActedOn(t *testing.T) {
	timeout := domain.Wrap(errors.New("i/o timeout"), domain.CodeUpstreamTimeout, "CallWidget did not answer in time")
	timeout.NotRetriable = true
	refused := fmt.Errorf("callwidget: /share/new-sms: %w", errors.Join(
		domain.Errorf(domain.CodeUpstreamUnavailable, "CallWidget cannot be reached"), domain.ErrNotSent))
	open := &domain.Error{Code: domain.CodeUpstreamUnavailable, RetryAfter: time.Second, Err: fmt.Errorf("acct: %w", breaker.ErrOpen)}
	for _, tc := range []struct {
		name         string
		first        error
		wantFirst    int
		wantSecond   int
		wantReplayed bool
		wantActions  int
	}{
		{"a success is replayed", nil, 202, 202, true, 1},
		{"an upstream 500 is replayed, never sent again", upstreamAnswer(500), 502, 502, true, 1},
		{"an upstream 503 is replayed, never sent again", upstreamAnswer(503), 503, 503, true, 1},
		{"a timeout after sending is replayed, never sent again", timeout, 504, 504, true, 1},
		{"a refused connection releases the key and the retry is sent", refused, 503, 202, false, 2},
		{"a breaker refusal releases the key and the retry is sent", open, 503, 202, false, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cw := &actingCallWidget{script: []error{tc.first}}
			g := newActionGateway(t, idempotency.NewMemory(nil), cw)
			s1, r1, b1, h1 := g.sendText(t, "k")
			s2, r2, b2, h2 := g.sendText(t, "k")
			if s1 != tc.wantFirst || s2 != tc.wantSecond {
				t.Fatalf("got %d then %d, want %d then %d (bodies %s / %s)", s1, s2, tc.wantFirst, tc.wantSecond, b1, b2)
			}
			if r1 != "" || (r2 == "true") != tc.wantReplayed {
				t.Errorf("Idempotent-Replayed: got %q then %q, want none then replayed=%v", r1, r2, tc.wantReplayed)
			}
			if tc.wantReplayed && (b1 != b2 || h1.Get("Content-Type") != h2.Get("Content-Type") || h1.Get("Retry-After") != h2.Get("Retry-After")) {
				t.Errorf("replay: got %s %v, want the first answer %s %v", b2, h2, b1, h1)
			}
			if n := cw.count(); n != tc.wantActions {
				t.Errorf("upstream actions: got %d, want %d", n, tc.wantActions)
			}
		})
	}
}

func TestAClaimWhoseOwnerVanishedAnswersUncertainAndIsNeverSent(t *testing.T) {
	clock := struct {
		sync.Mutex
		now time.Time
	}{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	now := func() time.Time { clock.Lock(); defer clock.Unlock(); return clock.now }
	store := idempotency.NewMemory(now)
	cw := &actingCallWidget{}
	g := newActionGateway(t, store, cw)

	// Another replica claimed the key with its own owner token, then died.
	res, err := store.Begin(context.Background(), idempotency.TenantKey("acme", "k-dead"),
		idempotency.RequestHash(http.MethodPost, "/v1/messages", []byte(textBody)), idempotency.DefaultLease, idempotency.Keep)
	if err != nil || res.Outcome != idempotency.Claimed {
		t.Fatalf("inserting the claim: got %v, %v", res.Outcome, err)
	}

	if status, _, body, _ := g.sendText(t, "k-dead"); status != http.StatusConflict || !strings.Contains(body, "idempotency-key-in-use") {
		t.Fatalf("within the lease: got %d %s, want 409 idempotency-key-in-use", status, body)
	}
	clock.Lock()
	clock.now = clock.now.Add(idempotency.DefaultLease)
	clock.Unlock()
	for attempt := 1; attempt <= 2; attempt++ {
		rec := g.do(t, http.MethodPost, "/v1/messages", token(t, "acme", auth.ScopeMessagesSend), strings.NewReader(textBody),
			"Content-Type", "application/json", "Idempotency-Key", "k-dead")
		p := decodeProblem(t, rec, http.StatusGatewayTimeout, domain.CodeUpstreamTimeout)
		if p.Retriable == nil || *p.Retriable {
			t.Errorf("attempt %d after the lease: got retriable %v, want false", attempt, p.Retriable)
		}
		if got := rec.Header().Get("Idempotent-Replayed"); got != "true" {
			t.Errorf("attempt %d after the lease: got Idempotent-Replayed %q, want true", attempt, got)
		}
	}
	if n := cw.count(); n != 0 {
		t.Fatalf("upstream actions: got %d, want 0", n)
	}
}

// flakyComplete fails the first Complete of store with a transient error.
type flakyComplete struct {
	idempotency.Store
	mu       sync.Mutex
	attempts int
}

func (f *flakyComplete) Complete(ctx context.Context, key, owner string, rec idempotency.Record, keep time.Duration) error {
	f.mu.Lock()
	f.attempts++
	first := f.attempts == 1
	f.mu.Unlock()
	if first {
		return errors.New("read tcp: connection reset by peer")
	}
	return f.Store.Complete(ctx, key, owner, rec, keep)
}

func TestACompletionThatFailsOnceIsRetriedBeforeTheResponse(t *testing.T) {
	store := &flakyComplete{Store: idempotency.NewMemory(nil)}
	cw := &actingCallWidget{}
	g := newActionGateway(t, store, cw)
	if status, _, body, _ := g.sendText(t, "k"); status != http.StatusAccepted {
		t.Fatalf("first: got %d %s, want 202", status, body)
	}
	if store.attempts != 2 {
		t.Errorf("completion attempts: got %d, want 2", store.attempts)
	}
	status, replayed, body, _ := g.sendText(t, "k")
	if status != http.StatusAccepted || replayed != "true" || cw.count() != 1 {
		t.Fatalf("retry: got %d replayed=%q with %d upstream actions (%s), want the 202 replayed and 1 action", status, replayed, cw.count(), body)
	}
}

func TestKeyedPOSTsAreRefusedWith503WhileTheStoreIsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1, DialerRetries: 1})
	defer rdb.Close()
	cw := &actingCallWidget{}
	g := newActionGateway(t, idempotency.NewRedis(rdb, "", nil), cw)

	rec := g.do(t, http.MethodPost, "/v1/messages", token(t, "acme", auth.ScopeMessagesSend), strings.NewReader(textBody),
		"Content-Type", "application/json", "Idempotency-Key", "k")
	decodeProblem(t, rec, http.StatusServiceUnavailable, domain.CodeUpstreamUnavailable)
	if got := rec.Header().Get("Retry-After"); got != "5" {
		t.Errorf("Retry-After: got %q, want 5", got)
	}
	if n := cw.count(); n != 0 {
		t.Fatalf("upstream actions for the keyed POST: got %d, want 0", n)
	}
	if status, _, body, _ := g.sendText(t, ""); status != http.StatusAccepted || cw.count() != 1 {
		t.Fatalf("a POST without a key: got %d %s with %d actions, want 202 and 1", status, body, cw.count())
	}
}
