package handlers

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"switchboard/internal/auth"
	"switchboard/internal/clocktest"
	"switchboard/internal/domain"
	"switchboard/internal/events"
	"switchboard/internal/metrics"
	"switchboard/internal/mirror"
	"switchboard/internal/redistest"
)

// eventsGateway is a gateway on a real listener (streams need one) whose
// tenants acme and other have mirrors of two accounts, and plain has none.
type eventsGateway struct {
	url     string
	hub     *events.Hub
	metrics *metrics.Metrics
}

type eventsOptions struct {
	buffer       int
	heartbeat    time.Duration
	writeTimeout time.Duration
}

func newEventsGateway(t testing.TB, log events.Log, o eventsOptions) *eventsGateway {
	t.Helper()
	hub, err := events.NewHub(events.HubConfig{Log: log, Buffer: o.buffer, Block: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("NewHub: %v", err)
	}
	v, err := auth.NewVerifier(auth.Config{HMACSecret: testSecret, CacheSize: -1})
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	m := metrics.New()
	pw := benchPhonewagon{}
	s, err := New(Config{
		Logger:   slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics:  m,
		Verifier: v,
		Tenants: map[string]*Tenant{
			"acme":  {ID: "acme", PhonewagonAccount: "acct-a", Phonewagon: pw, Mirror: &mirror.Reader{}},
			"other": {ID: "other", PhonewagonAccount: "acct-b", Phonewagon: pw, Mirror: &mirror.Reader{}},
			"plain": {ID: "plain", PhonewagonAccount: "acct-c", Phonewagon: pw},
		},
		OpenAPIYAML:        []byte("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n"),
		CursorKey:          []byte(strings.Repeat("k", 32)),
		Events:             hub,
		EventsHeartbeat:    o.heartbeat,
		EventsWriteTimeout: o.writeTimeout,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewUnstartedServer(s)
	srv.Config.RegisterOnShutdown(hub.Close)
	srv.Start()
	t.Cleanup(func() { hub.Close(); srv.Close() })
	return &eventsGateway{url: srv.URL, hub: hub, metrics: m}
}

// sseEvent is one parsed server-sent event.
type sseEvent struct{ id, typ, data string }

// sseStream reads an open /v1/events response.
type sseStream struct {
	resp     *http.Response
	r        *bufio.Reader
	comments int
}

func openStream(t *testing.T, g *eventsGateway, tenant string, hdr ...string) *sseStream {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, g.url+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token(t, tenant, auth.ScopeCallsRead))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /v1/events: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("got %d %s (%s), want 200 text/event-stream", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	return &sseStream{resp: resp, r: bufio.NewReader(resp.Body)}
}

// next returns the next event, counting the comments before it; an error
// at the end of the stream.
func (s *sseStream) next() (sseEvent, error) {
	var e sseEvent
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return e, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && e.id != "":
			return e, nil
		case strings.HasPrefix(line, ":"):
			s.comments++
		case strings.HasPrefix(line, "id: "):
			e.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			e.typ = line[7:]
		case strings.HasPrefix(line, "data: "):
			if e.data != "" {
				return e, fmt.Errorf("event %s has two data lines", e.id)
			}
			e.data = line[6:]
		}
	}
}

// mustNext returns the next event, failing t when the stream ends or
// none comes within 10 s.
func (s *sseStream) mustNext(t *testing.T) sseEvent {
	t.Helper()
	type result struct {
		e   sseEvent
		err error
	}
	c := make(chan result, 1)
	go func() {
		e, err := s.next()
		c <- result{e, err}
	}()
	select {
	case r := <-c:
		if r.err != nil {
			t.Fatalf("reading the stream: %v", r.err)
		}
		return r.e
	case <-time.After(10 * time.Second):
		s.resp.Body.Close()
		t.Fatal("no event within 10 s")
	}
	return sseEvent{}
}

func appendCall(t *testing.T, l events.Log, account, callID string, typ events.Type) events.Event {
	t.Helper()
	e, err := l.Append(context.Background(), account, typ, domain.Call{ID: callID, Source: domain.SourcePhonewagon})
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return e
}

func TestEventStreamRefusals(t *testing.T) {
	g := newEventsGateway(t, events.NewMemoryLog(nil, 0), eventsOptions{})
	cases := []struct {
		name   string
		tenant string
		scopes []auth.Scope
		hdr    []string
		status int
		slug   domain.Code
	}{
		{"a tenant without a mirror is refused with mirror-not-configured", "plain", []auth.Scope{auth.ScopeCallsRead}, nil, 403, domain.CodeMirrorNotConfigured},
		{"a token without calls:read is refused", "acme", []auth.Scope{auth.ScopeLookupsRead}, nil, 403, domain.CodeForbidden},
		{"a Last-Event-ID that is no event id is refused", "acme", []auth.Scope{auth.ScopeCallsRead}, []string{"Last-Event-ID", "yesterday"}, 400, domain.CodeValidation},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, g.url+"/v1/events", nil)
			req.Header.Set("Authorization", "Bearer "+token(t, c.tenant, c.scopes...))
			for i := 0; i+1 < len(c.hdr); i += 2 {
				req.Header.Set(c.hdr[i], c.hdr[i+1])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var p Problem
			_ = json.NewDecoder(resp.Body).Decode(&p)
			if resp.StatusCode != c.status || p.Type != "/problems/"+string(c.slug) {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, p.Type, c.status, c.slug)
			}
		})
	}
}

func TestEventStreamLive(t *testing.T) {
	log := events.NewMemoryLog(nil, 0)
	g := newEventsGateway(t, log, eventsOptions{heartbeat: 20 * time.Millisecond})

	t.Run("without an id only new events arrive, each as id, type and one data line of the event", func(t *testing.T) {
		appendCall(t, log, "acct-a", "before", events.CallCreated)
		s := openStream(t, g, "acme")
		want := appendCall(t, log, "acct-a", "6315", events.CallUpdated)
		got := s.mustNext(t)
		var body events.Event
		if err := json.Unmarshal([]byte(got.data), &body); err != nil {
			t.Fatalf("data %q: %v", got.data, err)
		}
		if got.id != want.ID || got.typ != "call.updated" || body.ID != want.ID || body.Type != events.CallUpdated || body.Data.ID != "6315" {
			t.Fatalf("got %+v, want id %s call.updated of call 6315", got, want.ID)
		}
	})

	t.Run("an idle stream carries a comment line at every heartbeat", func(t *testing.T) {
		s := openStream(t, g, "acme")
		appendCall(t, log, "acct-a", "x", events.CallCreated)
		s.mustNext(t)
		before := s.comments
		time.AfterFunc(100*time.Millisecond, func() { appendCall(t, log, "acct-a", "y", events.CallCreated) })
		s.mustNext(t)
		if s.comments-before < 2 {
			t.Fatalf("got %d comments in 100 ms of 20 ms heartbeats, want at least 2", s.comments-before)
		}
	})

	t.Run("tenants of another account never see the events", func(t *testing.T) {
		s := openStream(t, g, "other")
		appendCall(t, log, "acct-a", "not-yours", events.CallCreated)
		mine := appendCall(t, log, "acct-b", "yours", events.CallCreated)
		if got := s.mustNext(t); got.id != mine.ID || !strings.Contains(got.data, `"yours"`) {
			t.Fatalf("got %+v, want only %s", got, mine.ID)
		}
	})

	t.Run("closing the hub on shutdown ends open streams", func(t *testing.T) {
		s := openStream(t, g, "acme")
		clocktest.Eventually(t, 5*time.Second, "the stream counted", func() bool {
			return gaugeValue(g.metrics.Events.SSEClients) >= 1
		})
		g.hub.Close()
		if _, err := s.next(); err != io.EOF {
			t.Fatalf("got %v, want the stream to end (EOF)", err)
		}
		clocktest.Eventually(t, 5*time.Second, "no stream counted", func() bool {
			return gaugeValue(g.metrics.Events.SSEClients) == 0
		})
	})
}

func TestEventStreamResumesOnAnotherReplica(t *testing.T) {
	rdb, prefix := redistest.Open(t)
	replica1 := newEventsGateway(t, events.NewRedisLog(rdb, prefix, 0), eventsOptions{})
	log2 := events.NewRedisLog(rdb, prefix, 0)
	replica2 := newEventsGateway(t, log2, eventsOptions{})

	first := openStream(t, replica1, "acme")
	var sent []string
	for i := range 5 {
		sent = append(sent, appendCall(t, log2, "acct-a", fmt.Sprint(i), events.CallCreated).ID)
	}
	var seen []string
	for range 5 {
		seen = append(seen, first.mustNext(t).id)
	}
	if fmt.Sprint(seen) != fmt.Sprint(sent) {
		t.Fatalf("replica 1 sent %v, want %v", seen, sent)
	}

	t.Run("Last-Event-ID on the other replica replays the same ids in order, then goes live", func(t *testing.T) {
		s := openStream(t, replica2, "acme", "Last-Event-ID", seen[1])
		for _, want := range seen[2:] {
			if got := s.mustNext(t); got.id != want {
				t.Fatalf("got %s, want %s", got.id, want)
			}
		}
		live := appendCall(t, log2, "acct-a", "live", events.CallUpdated)
		if got := s.mustNext(t); got.id != live.ID || got.typ != "call.updated" {
			t.Fatalf("got %+v, want the live %s", got, live.ID)
		}
	})

	t.Run("the last_event_id query parameter resumes too, from the oldest kept when the id is older", func(t *testing.T) {
		q := openStreamPath(t, replica2, "acme", "?last_event_id=1-0")
		if got := q.mustNext(t); got.id != seen[0] {
			t.Fatalf("got %s, want the oldest kept %s", got.id, seen[0])
		}
	})
}

func openStreamPath(t *testing.T, g *eventsGateway, tenant, query string) *sseStream {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, g.url+"/v1/events"+query, nil)
	req.Header.Set("Authorization", "Bearer "+token(t, tenant, auth.ScopeCallsRead))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got %d, want 200", resp.StatusCode)
	}
	return &sseStream{resp: resp, r: bufio.NewReader(resp.Body)}
}

func TestASlowEventClientDoesNotDelayAFastOne(t *testing.T) {
	log := events.NewMemoryLog(nil, 0)
	g := newEventsGateway(t, log, eventsOptions{buffer: 4, writeTimeout: 300 * time.Millisecond})

	// The slow client sends its request and then reads nothing, with a small
	// receive buffer, so the gateway's writes to it soon block.
	u := strings.TrimPrefix(g.url, "http://")
	conn, err := net.Dial("tcp", u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(conn, "GET /v1/events HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", u, token(t, "acme", auth.ScopeCallsRead))
	clocktest.Eventually(t, 5*time.Second, "the slow stream open", func() bool {
		return gaugeValue(g.metrics.Events.SSEClients) == 1
	})
	fast := openStream(t, g, "acme")

	big := strings.Repeat("x", 64<<10) // 64 KiB per event fills socket buffers fast
	const n = 200
	for i := range n {
		e, err := log.Append(context.Background(), "acct-a", events.CallCreated,
			domain.Call{ID: fmt.Sprint(i), Source: domain.SourcePhonewagon, ContactName: &big})
		if err != nil {
			t.Fatal(err)
		}
		if got := fast.mustNext(t); got.id != e.ID {
			t.Fatalf("fast client, event %d: got %s, want %s", i, got.id, e.ID)
		}
	}
	// The slow stream is ended by the gateway while the fast one stays.
	clocktest.Eventually(t, 10*time.Second, "the slow stream ended", func() bool {
		return gaugeValue(g.metrics.Events.SSEClients) == 1 && g.hub.Subscribers() == 1
	})
}

func gaugeValue(g prometheus.Gauge) float64 {
	var m dto.Metric
	_ = g.Write(&m)
	return m.GetGauge().GetValue()
}
