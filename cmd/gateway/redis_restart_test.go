package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/clocktest"
	"switchboard/internal/sandbox/callwidgetsim"
)

// TestRedisRestartedEmptyRebuildsTheMirrorAndResumesEvents runs two
// replicas on a redis-server of the test's own, with a live mirrored
// account, a webhook, an open event stream and CallWidget tokens in use,
// then restarts that Redis without persistence. Reads fall back to the
// upstream until the backfill has rebuilt the mirror (held meanwhile by
// the upstream), which then holds every call once; the replicas get
// CallWidget tokens again with one upstream token request between them
// and a replica started afterwards; events recorded after the restart
// reach the open stream, with ids after the ones before, and the webhook.
// (The budget across such a restart: TestBudgetHoldsWhenRedisRestartsEmpty.)
func TestRedisRestartedEmptyRebuildsTheMirrorAndResumesEvents(t *testing.T) {
	srv := startOwnRedis(t)

	fastSyncers(t, 50*time.Millisecond)
	pw := startCrashUpstream(t, crashHistory, 300*time.Millisecond)
	cw, err := callwidgetsim.New(callwidgetsim.Config{Users: []callwidgetsim.User{
		{Email: "ops@acme.example", Password: "acme-cw-password", Seed: 1},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cwSrv := httptest.NewServer(cw)
	t.Cleanup(cwSrv.Close)
	hook := newWebhookReceiver(t, 9, func(int) int { return http.StatusNoContent })
	doc := fmt.Sprintf(`tenants:
  - id: acme
    callwidget: {base_url: %s/api/v1, email: ops@acme.example, password: acme-cw-password}
    phonewagon: {base_url: %s, client_id: acme-client, client_secret: acme-pw-secret, budget_per_minute: 5000,
                 mirror: {retention: 8760h, sync_interval: 5s, revisit: 1h, revisit_interval: 24h}}
    rate_limit_per_minute: 100000
    webhooks:
%s`, cwSrv.URL, pw.url, hook.entry())
	env := map[string]string{
		"SWITCHBOARD_TENANTS_FILE":   writeTenants(t, "", doc),
		"SWITCHBOARD_REDIS_URL":      srv.URL(),
		"SWITCHBOARD_REDIS_PREFIX":   "sbtest:crash-restart:",
		"SWITCHBOARD_ENCRYPTION_KEY": base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")),
	}
	gs := startReplicas(t, 2, env)
	for _, g := range gs {
		waitMirrored(t, g, "acme")
	}
	tok := token(t, "acme", auth.KnownScopes()...)
	data, _ := cw.Dataset("ops@acme.example")
	contact := func(g *gateway) int {
		resp, _ := g.post(t, "/v1/contacts", tok, `{"phone":"+17862455063","install":"`+data.Installs[0].Number+`"}`)
		return resp.StatusCode
	}
	for _, g := range gs {
		if got := contact(g); got != http.StatusCreated {
			t.Fatalf("POST /v1/contacts before the restart: %d", got)
		}
	}
	if cw.Logins() != 1 {
		t.Fatalf("logins before the restart: got %d, want 1", cw.Logins())
	}

	// Events before the restart: on an open stream and at the webhook.
	stream := openEvents(t, gs[1], "acme")
	events := make(chan sse, 1024)
	go func() {
		defer close(events)
		for {
			e, err := stream.next()
			if err != nil {
				return
			}
			events <- e
		}
	}()
	stop := make(chan struct{})
	stopped := pokeUntil(t, gs[0], "acme", stop)
	var lastBefore string
	select {
	case e := <-events:
		lastBefore = e.id
	case <-time.After(20 * time.Second):
		t.Fatal("no event on the stream within 20 s of follows")
	}
	clocktest.Eventually(t, 20*time.Second, "a webhook delivery before the restart", func() bool {
		ids, _, _ := hook.got()
		return len(ids) > 0
	})
	close(stop)
	<-stopped
	for drained := false; !drained; { // the last event recorded before the restart
		select {
		case e := <-events:
			lastBefore = e.id
		case <-time.After(time.Second):
			drained = true
		}
	}
	hookBefore, _, _ := hook.got()
	heldBefore := map[string]bool{}
	for _, id := range ids(t, walkMirror(t, gs[:1], tok, "limit=1000", nil)) {
		heldBefore[id] = true
	}

	// The restart: every backfill or sync page (page_size 1000, which no
	// caller read below asks for) is held until the fallback is checked.
	srv.Stop()
	held, release := pw.gate.arm(t, false, func(r *http.Request) bool {
		return acmeCalls(r) && r.URL.Query().Get("page_size") == "1000"
	})
	srv.Start()
	restarted := time.Now()

	t.Run("reads fall back to the upstream until the backfill has rebuilt the mirror", func(t *testing.T) {
		awaitHeld(t, held, 20*time.Second, "the new backfill's first page")
		for i, g := range gs {
			clocktest.Eventually(t, 10*time.Second, "readyz 200 again", func() bool {
				r, _ := g.get(t, "/readyz", "")
				return r.StatusCode == http.StatusOK
			})
			resp, body := g.get(t, fmt.Sprintf("/v1/calls?limit=%d", 5+i), tok)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Cache") == "MIRROR" {
				t.Fatalf("replica %d: %d X-Cache %q %s, want 200 from the upstream", i, resp.StatusCode, resp.Header.Get("X-Cache"), truncate(body))
			}
		}
		release()
		for _, g := range gs {
			waitMirrored(t, g, "acme")
		}
		t.Logf("mirror rebuilt %v after the restart", time.Since(restarted).Round(100*time.Millisecond))
		got := checkMirrorHoldsEveryCallOnce(t, gs[0], pw.pw)
		if len(got) < crashHistory {
			t.Fatalf("the rebuilt mirror holds %d calls, want at least the %d of the history", len(got), crashHistory)
		}
	})
	release()

	t.Run("tokens are fetched again with one upstream token request", func(t *testing.T) {
		cw.RevokeAccessTokens("ops@acme.example") // the replicas' tokens in process are refused
		before := cw.Logins() + cw.Refreshes()
		all := append(gs, startGateway(t, env)) // and a replica that has none
		var wg sync.WaitGroup
		var mu sync.Mutex
		statuses := map[int]int{}
		for i := range 9 {
			wg.Go(func() {
				got := contact(all[i%3])
				mu.Lock()
				statuses[got]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if statuses[http.StatusCreated] != 9 {
			t.Fatalf("statuses: %v, want 9 × 201", statuses)
		}
		if got := cw.Logins() + cw.Refreshes() - before; got != 1 {
			t.Fatalf("logins and refreshes after the restart: got %d, want 1", got)
		}
	})

	t.Run("events recorded after the restart reach the open stream and the webhook", func(t *testing.T) {
		stop := make(chan struct{})
		stopped := pokeUntil(t, gs[0], "acme", stop)
		defer func() { close(stop); <-stopped }()
		// The rebuild is a backfill, which emits nothing: no call the
		// mirror held before the restart is announced as created again.
		deadline := time.After(30 * time.Second)
		for created := 0; created < 3; {
			select {
			case e, ok := <-events:
				if !ok {
					t.Fatal("the stream opened before the restart ended")
				}
				if !idBefore(lastBefore, e.id) {
					t.Fatalf("event %s after the restart, want ids after %s", e.id, lastBefore)
				}
				var c struct{ ID string }
				_ = json.Unmarshal(e.data.Data, &c)
				if e.typ == "call.created" {
					if heldBefore[c.ID] {
						t.Fatalf("call %s, held before the restart, announced as created again", c.ID)
					}
					created++
				}
			case <-deadline:
				t.Fatal("fewer than 3 call.created events on the open stream within 30 s of the restart")
			}
		}
		clocktest.Eventually(t, 30*time.Second, "a webhook delivery of an event recorded after the restart", func() bool {
			ids, _, _ := hook.got()
			for _, id := range ids[len(hookBefore):] {
				if idBefore(lastBefore, id) {
					return true
				}
			}
			return false
		})
	})
}
