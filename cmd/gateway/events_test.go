package main

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/sandbox/phonewagonsim"
)

// sseReader reads server-sent events from a gateway's /v1/events.
type sseReader struct {
	body io.ReadCloser
	r    *bufio.Reader
}

type sse struct {
	id, typ string
	data    struct {
		ID   string          `json:"id"`
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
}

func openEvents(t *testing.T, g *gateway, tenant string, query ...string) *sseReader {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, g.URL+"/v1/events"+strings.Join(query, ""), nil)
	req.Header.Set("Authorization", "Bearer "+token(t, tenant, "calls:read"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /v1/events: %v", err)
	}
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /v1/events: %d %s", resp.StatusCode, b)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return &sseReader{body: resp.Body, r: bufio.NewReader(resp.Body)}
}

// next returns the next event, or the error ending the stream.
func (s *sseReader) next() (sse, error) {
	var e sse
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return e, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && e.id != "":
			return e, nil
		case strings.HasPrefix(line, "id: "):
			e.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			e.typ = line[7:]
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(line[6:]), &e.data); err != nil {
				return e, fmt.Errorf("data line %q: %w", line, err)
			}
		}
	}
}

// hookReceiver records the webhook deliveries whose signature verifies.
type hookReceiver struct {
	mu       sync.Mutex
	verified []string // event ids
	bad      int
}

func TestEventsFromTheMirrorOfALiveAccount(t *testing.T) {
	fastSyncers(t, 50*time.Millisecond)
	now := time.Now().UTC()
	pw, err := phonewagonsim.New(phonewagonsim.Config{
		Accounts: []phonewagonsim.Account{
			{ClientID: "acme-client", ClientSecret: "acme-pw-secret", Seed: 1, Calls: 200, ArrivalEvery: 300 * time.Millisecond, CompleteAfter: time.Second},
			{ClientID: "beta-client", ClientSecret: "beta-pw-secret", Seed: 2, Calls: 200},
		},
		RatePerMinute: 10000,
		Anchor:        now.Truncate(time.Second).Add(-time.Minute),
		LiveFrom:      now,
	})
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(pw)
	t.Cleanup(up.Close)

	key := []byte("webhook-key-0123456789abcdef0123")
	secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
	hooks := &hookReceiver{}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, key)
		fmt.Fprintf(mac, "%s.%s.%s", r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), body)
		hooks.mu.Lock()
		defer hooks.mu.Unlock()
		if r.Header.Get("webhook-signature") == "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
			hooks.verified = append(hooks.verified, r.Header.Get("webhook-id"))
		} else {
			hooks.bad++
		}
	}))
	t.Cleanup(receiver.Close)

	mirrorBlock := "mirror: {retention: 8760h, sync_interval: 5s, revisit: 1h, revisit_interval: 5s}"
	doc := fmt.Sprintf(`tenants:
  - id: acme
    phonewagon: {base_url: %[1]s, client_id: acme-client, client_secret: acme-pw-secret, budget_per_minute: 5000, %[2]s}
    webhooks:
      - {url: '%[3]s/hooks', secret: '%[4]s', events: [call.created]}
  - id: beta
    phonewagon: {base_url: %[1]s, client_id: beta-client, client_secret: beta-pw-secret, budget_per_minute: 5000, %[2]s}
`, up.URL, mirrorBlock, receiver.URL, secret)
	path := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, map[string]string{"SWITCHBOARD_TENANTS_FILE": path})
	waitMirrored(t, g, "beta")

	t.Run("the backfill of an account without new calls emits nothing", func(t *testing.T) {
		beta := openEvents(t, g, "beta", "?last_event_id=0-0")
		for {
			line, err := beta.r.ReadString('\n')
			if err != nil {
				t.Fatalf("beta's stream: %v", err)
			}
			if line == ": live\n" {
				break // the replay of every kept event is over
			}
			if strings.HasPrefix(line, "id: ") {
				t.Fatalf("beta's replay carried event %s, want none after its backfill", line)
			}
		}
	})

	t.Run("a new call arrives as call.created with the normalized call, a completed one as call.updated", func(t *testing.T) {
		s := openEvents(t, g, "acme")
		created := map[string]json.RawMessage{}
		deadline := time.Now().Add(40 * time.Second)
		last := ""
		for {
			e, err := s.next()
			if err != nil {
				t.Fatalf("stream: %v", err)
			}
			if e.data.ID != e.id || e.data.Type != e.typ {
				t.Fatalf("event %s/%s carries %s/%s", e.id, e.typ, e.data.ID, e.data.Type)
			}
			if last != "" && !idBefore(last, e.id) {
				t.Fatalf("id %s after %s, want increasing", e.id, last)
			}
			last = e.id
			var call struct {
				ID     string `json:"id"`
				Source string `json:"source"`
				Status *string
			}
			_ = json.Unmarshal(e.data.Data, &call)
			if call.ID == "" || call.Source != "phonewagon" {
				t.Fatalf("event %s data %s, want a normalized Phonewagon call", e.id, e.data.Data)
			}
			switch e.typ {
			case "call.created":
				created[call.ID] = e.data.Data
			case "call.updated":
				if before, ok := created[call.ID]; ok {
					if string(before) == string(e.data.Data) {
						t.Fatalf("call %s updated to the same record", call.ID)
					}
					return
				}
			default:
				t.Fatalf("event type %q", e.typ)
			}
			if time.Now().After(deadline) {
				t.Fatalf("no call created and then updated within 40 s (%d created)", len(created))
			}
		}
	})

	t.Run("the webhook receives signed call.created events", func(t *testing.T) {
		deadline := time.Now().Add(30 * time.Second)
		for {
			hooks.mu.Lock()
			n, bad := len(hooks.verified), hooks.bad
			hooks.mu.Unlock()
			if bad > 0 {
				t.Fatalf("%d deliveries failed verification", bad)
			}
			if n > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no webhook delivered within 30 s")
			}
			time.Sleep(50 * time.Millisecond) // polling the receiver, bounded by the deadline
		}
		resp, body := g.get(t, "/v1/webhooks", token(t, "acme", "calls:read"))
		if resp.StatusCode != 200 || strings.Contains(string(body), base64.StdEncoding.EncodeToString(key)) || !strings.Contains(string(body), `"last_success":{`) {
			t.Fatalf("GET /v1/webhooks: %d %s, want a last success and no secret", resp.StatusCode, body)
		}
	})

	t.Run("shutdown ends open streams at once instead of waiting out the grace", func(t *testing.T) {
		s := openEvents(t, g, "acme")
		start := time.Now()
		g.stop()
		for {
			if _, err := s.next(); err != nil {
				break
			}
		}
		select {
		case err := <-g.done:
			if err != nil {
				t.Fatalf("gateway exited with %v", err)
			}
			g.done <- nil // for the harness's cleanup
		case <-time.After(15 * time.Second):
			t.Fatal("gateway did not stop within 15 s of shutdown with a stream open")
		}
		if waited := time.Since(start); waited > 10*time.Second {
			t.Fatalf("shutdown took %v with a stream open", waited)
		}
	})
}

// idBefore compares two event ids ("<ms>-<seq>").
func idBefore(a, b string) bool {
	var am, as, bm, bs int64
	fmt.Sscanf(a, "%d-%d", &am, &as)
	fmt.Sscanf(b, "%d-%d", &bm, &bs)
	return am < bm || (am == bm && as < bs)
}

func TestEventsResumeOnAnotherReplicaOnRedis(t *testing.T) {
	fastSyncers(t, 50*time.Millisecond)
	redisURL, prefix := testRedis(t)
	up := startMirrorUpstream(t, 200*time.Millisecond)
	gs := startReplicas(t, 2, mirrorReplicaEnv(t, up, redisURL, prefix))
	for _, g := range gs {
		waitMirrored(t, g, "acme")
	}
	tok := token(t, "acme", "calls:read")
	first := openEvents(t, gs[0], "acme")

	// Follows run when asked (sync_interval is an hour here): ask until
	// the stream has two events.
	stop := make(chan struct{})
	poked := make(chan struct{})
	go func() {
		defer close(poked)
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				req, _ := http.NewRequest(http.MethodGet, gs[1].URL+"/v1/calls?limit=1", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Cache-Control", "no-cache")
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
			}
		}
	}()
	var seen []string
	for len(seen) < 3 {
		e, err := first.next()
		if err != nil {
			t.Fatalf("replica 1's stream: %v", err)
		}
		seen = append(seen, e.id)
	}
	close(stop)
	<-poked

	s := openEvents(t, gs[1], "acme", "?last_event_id="+seen[0])
	for _, want := range seen[1:] {
		e, err := s.next()
		if err != nil || e.id != want {
			t.Fatalf("replica 2 replayed %s (%v), want %s: the same ids in the same order", e.id, err, want)
		}
	}
}
