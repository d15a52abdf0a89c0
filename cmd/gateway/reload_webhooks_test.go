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
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// webhookReceiver is a test endpoint: it records the webhook-id of every
// request whose signature verifies with its secret, and answers with
// answer(n), n counting requests from 1.
type webhookReceiver struct {
	*httptest.Server
	secret string
	answer func(n int) int

	mu       sync.Mutex
	ids      []string
	requests int
	bad      int
}

func newWebhookReceiver(t *testing.T, seed byte, answer func(n int) int) *webhookReceiver {
	t.Helper()
	key := make([]byte, 32)
	for i := range key {
		key[i] = seed + byte(i)
	}
	rc := &webhookReceiver{secret: "whsec_" + base64.StdEncoding.EncodeToString(key), answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, key)
		fmt.Fprintf(mac, "%s.%s.%s", r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), body)
		rc.mu.Lock()
		rc.requests++
		n := rc.requests
		if r.Header.Get("webhook-signature") == "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
			rc.ids = append(rc.ids, r.Header.Get("webhook-id"))
		} else {
			rc.bad++
		}
		rc.mu.Unlock()
		w.WriteHeader(rc.answer(n))
	}))
	t.Cleanup(rc.Close)
	return rc
}

// got returns the verified ids received, the number of requests and of
// requests whose signature did not verify.
func (rc *webhookReceiver) got() (ids []string, requests, bad int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.ids), rc.requests, rc.bad
}

// entry is the receiver's line in a tenants file's webhooks list.
func (rc *webhookReceiver) entry() string {
	return fmt.Sprintf("      - {url: '%s/hook', secret: '%s'}\n", rc.URL, rc.secret)
}

// binaryGateway is the gateway binary running as a child process.
type binaryGateway struct {
	*gateway
	pid  int
	logs *lockedBuffer
}

// startGatewayBinary starts bin with env added and waits for it to listen;
// it is stopped with SIGTERM when t ends, and must exit cleanly.
func startGatewayBinary(t *testing.T, bin string, env ...string) *binaryGateway {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(append(os.Environ(), "SWITCHBOARD_ADDR=127.0.0.1:0", "SWITCHBOARD_JWT_SECRET="+e2eSecret,
		"SWITCHBOARD_SANDBOX=false"), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &binaryGateway{pid: cmd.Process.Pid, logs: &lockedBuffer{}}
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			b.logs.Write([]byte(sc.Text() + "\n"))
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(b.pid, syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("exit after SIGTERM: got %v, want status 0", err)
			}
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(b.pid, syscall.SIGKILL)
			t.Error("process did not exit within 20s of SIGTERM")
		}
	})
	b.gateway = &gateway{URL: b.logLine(t, "listening", 1)["url"].(string)}
	return b
}

// logLine waits for and returns the n-th log line whose msg starts with
// prefix.
func (b *binaryGateway) logLine(t *testing.T, prefix string, n int) map[string]any {
	t.Helper()
	var found map[string]any
	b.logs.waitFor(t, 20*time.Second, "log line "+prefix, func(s string) bool {
		seen := 0
		for _, l := range strings.Split(s, "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(l), &rec) == nil {
				if msg, _ := rec["msg"].(string); strings.HasPrefix(msg, prefix) {
					if seen++; seen == n {
						found = rec
						return true
					}
				}
			}
		}
		return false
	})
	return found
}

// sighup sends SIGHUP and returns the n-th reload log line.
func (b *binaryGateway) sighup(t *testing.T, n int) map[string]any {
	t.Helper()
	if err := syscall.Kill(b.pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	return b.logLine(t, "tenants file ", n)
}

// follow makes the mirror of tenant's account follow the upstream once:
// a no-cache read answers after its follow, so the events that follow
// records are in the log when it returns.
func (b *binaryGateway) follow(t *testing.T, tenant string) {
	t.Helper()
	resp, body := b.get(t, "/v1/calls?limit=1", token(t, tenant, "calls:read"), "Cache-Control", "no-cache")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Cache") != "MIRROR" {
		t.Fatalf("no-cache read: %d %s %s, want 200 from the mirror", resp.StatusCode, resp.Header.Get("X-Cache"), body)
	}
}

// webhookList is GET /v1/webhooks's body.
type webhookList struct {
	Data []struct {
		Index    int    `json:"index"`
		URL      string `json:"url"`
		Disabled bool   `json:"disabled"`
		Backlog  int64  `json:"backlog"`
	} `json:"data"`
}

func (b *binaryGateway) webhooks(t *testing.T, tenant string) (webhookList, string) {
	t.Helper()
	resp, body := b.get(t, "/v1/webhooks", token(t, tenant, "calls:read"))
	var l webhookList
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &l) != nil {
		t.Fatalf("GET /v1/webhooks: %d %s", resp.StatusCode, body)
	}
	return l, string(body)
}

// TestSIGHUPReloadsWebhooksOfTheRunningBinary builds the real binary, on
// Redis, with a live mirrored account and three webhook endpoints (kept,
// removed, and one that answers its first request 410), then rewrites
// the tenants file and sends SIGHUP: the endpoint the reload adds
// receives the next events, the removed one receives nothing more, the
// one disabled by its 410 receives again; GET /v1/webhooks and the reload
// log line show the new set, and neither carries a secret. A file with an
// invalid webhook secret is then logged by field and ignored.
func TestSIGHUPReloadsWebhooksOfTheRunningBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildGateway(t)
	redisURL, prefix := testRedis(t)
	up := startMirrorUpstream(t, 200*time.Millisecond)
	ok := func(int) int { return http.StatusNoContent }
	kept, removed, added := newWebhookReceiver(t, 1, ok), newWebhookReceiver(t, 2, ok), newWebhookReceiver(t, 3, ok)
	gone := newWebhookReceiver(t, 4, func(n int) int {
		if n == 1 {
			return http.StatusGone
		}
		return http.StatusOK
	})
	tenants := func(hooks ...*webhookReceiver) string {
		doc := fmt.Sprintf(`tenants:
  - id: acme
    phonewagon: {base_url: %s, client_id: acme-client, client_secret: acme-pw-secret, budget_per_minute: 5000,
                 mirror: {retention: 8760h, sync_interval: 1h, revisit: 1h, revisit_interval: 24h}}
    webhooks:
`, up.url)
		for _, h := range hooks {
			doc += h.entry()
		}
		return doc
	}
	file := writeTenants(t, "", tenants(kept, removed, gone))
	g := startGatewayBinary(t, bin, "SWITCHBOARD_TENANTS_FILE="+file, "SWITCHBOARD_REDIS_URL="+redisURL,
		"SWITCHBOARD_REDIS_PREFIX="+prefix, "SWITCHBOARD_ENCRYPTION_KEY="+base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")))
	waitMirrored(t, g.gateway, "acme")

	// Before the reload: follow until the three endpoints were each
	// attempted, gone answering 410.
	deadline := time.Now().Add(30 * time.Second)
	for {
		g.follow(t, "acme")
		k, _, _ := kept.got()
		r, _, _ := removed.got()
		_, goneRequests, _ := gone.got()
		if len(k) > 0 && len(r) > 0 && goneRequests > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("within 30 s of follows: kept got %d, removed %d, gone %d requests", len(k), len(r), goneRequests)
		}
		time.Sleep(250 * time.Millisecond) // new calls arrive upstream every 200 ms on average
	}
	// The follows are over, so no event is recorded until the next one:
	// once kept and removed owe nothing, every event either receives
	// from now on is recorded after the reload.
	deadline = time.Now().Add(20 * time.Second)
	for {
		l, _ := g.webhooks(t, "acme")
		if len(l.Data) == 3 && l.Data[0].Backlog == 0 && l.Data[1].Backlog == 0 && l.Data[2].Disabled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /v1/webhooks before the reload: got %+v, want kept and removed owing nothing, gone disabled", l.Data)
		}
		time.Sleep(50 * time.Millisecond) // polling the observable state, bounded by the deadline
	}
	keptBefore, _, _ := kept.got()
	_, goneBefore, _ := gone.got()

	writeTenants(t, file, tenants(kept, gone, added))
	line := g.sighup(t, 1)
	_, removedAtReload, _ := removed.got()

	t.Run("the reload log line names the webhook changes and no secret", func(t *testing.T) {
		if line["msg"] != "tenants file reloaded" {
			t.Fatalf("log line: got %v, want tenants file reloaded", line)
		}
		got, _ := json.Marshal([]any{line["webhooks"], line["webhooks_added"], line["webhooks_removed"], line["webhooks_enabled"]})
		if string(got) != `[3,["acme/2"],["acme/1"],["acme/1"]]` {
			t.Fatalf("webhooks, added, removed, enabled: got %s, want 3 [acme/2] [acme/1] [acme/1]", got)
		}
		for _, rc := range []*webhookReceiver{kept, removed, gone, added} {
			if strings.Contains(g.logs.String(), strings.TrimPrefix(rc.secret, "whsec_")) {
				t.Fatal("a webhook secret is in the log")
			}
		}
	})

	t.Run("GET /v1/webhooks lists the reloaded set, gone enabled again", func(t *testing.T) {
		l, body := g.webhooks(t, "acme")
		var urls []string
		for _, d := range l.Data {
			urls = append(urls, d.URL)
		}
		want := []string{kept.URL + "/hook", gone.URL + "/hook", added.URL + "/hook"}
		if !slices.Equal(urls, want) || l.Data[1].Disabled {
			t.Fatalf("got %s, want %v with none disabled", body, want)
		}
		for _, rc := range []*webhookReceiver{kept, removed, gone, added} {
			if strings.Contains(body, strings.TrimPrefix(rc.secret, "whsec_")) {
				t.Fatalf("a webhook secret is in %s", body)
			}
		}
	})

	// After the reload: follow until the added endpoint and the enabled
	// one received events, and kept received some new ones.
	deadline = time.Now().Add(30 * time.Second)
	var keptAfter []string
	for {
		g.follow(t, "acme")
		k, _, _ := kept.got()
		keptAfter = k[len(keptBefore):]
		a, _, _ := added.got()
		_, goneRequests, _ := gone.got()
		if len(keptAfter) > 0 && len(a) >= len(keptAfter) && goneRequests > goneBefore {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("within 30 s of follows after the reload: kept got %d new, added %d, gone %d new requests",
				len(keptAfter), len(a), goneRequests-goneBefore)
		}
		time.Sleep(250 * time.Millisecond) // new calls arrive upstream every 200 ms on average
	}

	t.Run("the endpoint the reload added receives the events recorded after it", func(t *testing.T) {
		a, _, bad := added.got()
		if bad != 0 {
			t.Fatalf("%d deliveries failed verification with the added endpoint's secret", bad)
		}
		for _, id := range keptAfter {
			if !slices.Contains(a, id) {
				t.Fatalf("event %s, recorded after the reload, reached kept but not added (added got %v)", id, a)
			}
		}
	})
	t.Run("the removed endpoint receives nothing more", func(t *testing.T) {
		if _, n, _ := removed.got(); n != removedAtReload {
			t.Fatalf("got %d requests after the reload, want none", n-removedAtReload)
		}
	})
	t.Run("the endpoint disabled by its 410 receives again", func(t *testing.T) {
		ids, _, bad := gone.got()
		if bad != 0 || len(ids) == 0 {
			t.Fatalf("got %d verified deliveries (%d bad), want some", len(ids), bad)
		}
	})

	badSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("too-short-to-sign"))
	writeTenants(t, file, tenants(kept, gone)+fmt.Sprintf("      - {url: '%s/other', secret: '%s'}\n", added.URL, badSecret))
	line = g.sighup(t, 2)
	t.Run("a file with an invalid webhook is logged by field, without the secret, and ignored", func(t *testing.T) {
		msg, _ := line["error"].(string)
		if line["msg"] != "tenants file not reloaded: the configuration in force stays" || !strings.Contains(msg, "tenants[0].webhooks[2].secret") {
			t.Fatalf("log line: got %v, want the rejection naming tenants[0].webhooks[2].secret", line)
		}
		if strings.Contains(g.logs.String(), strings.TrimPrefix(badSecret, "whsec_")) {
			t.Fatal("the invalid secret is in the log")
		}
		l, body := g.webhooks(t, "acme")
		if len(l.Data) != 3 || l.Data[2].URL != added.URL+"/hook" {
			t.Fatalf("GET /v1/webhooks: got %s, want the three endpoints in force", body)
		}
		got := g.scrape(t)
		for outcome, want := range map[string]float64{"applied": 1, "rejected": 1} {
			if s := series("switchboard_config_reloads_total", "outcome", outcome); got[s] != want {
				t.Errorf("%s: got %v, want %v", s, got[s], want)
			}
		}
	})
}

// TestReloadGivesUpWhatARemovedWebhookWasOwed runs the gateway in memory
// with a live mirrored account and two endpoints, the second failing
// every attempt; a reload that removes it gives up the events it was
// owed: the log line and switchboard_webhook_attempts_total{outcome=
// "dropped"} count them, and its backlog gauge goes.
func TestReloadGivesUpWhatARemovedWebhookWasOwed(t *testing.T) {
	fastSyncers(t, 50*time.Millisecond)
	up := startMirrorUpstream(t, 200*time.Millisecond)
	keep := newWebhookReceiver(t, 5, func(int) int { return http.StatusOK })
	failing := newWebhookReceiver(t, 6, func(int) int { return http.StatusInternalServerError })
	tenants := func(hooks ...*webhookReceiver) string {
		doc := fmt.Sprintf(`tenants:
  - id: acme
    phonewagon: {base_url: %s, client_id: acme-client, client_secret: acme-pw-secret, budget_per_minute: 5000,
                 mirror: {retention: 8760h, sync_interval: 1h, revisit: 1h, revisit_interval: 24h}}
    webhooks:
`, up.url)
		for _, h := range hooks {
			doc += h.entry()
		}
		return doc
	}
	file := writeTenants(t, "", tenants(keep, failing))
	g := startGateway(t, map[string]string{"SWITCHBOARD_TENANTS_FILE": file})
	waitMirrored(t, g, "acme")

	backlog := series("switchboard_webhook_backlog", "tenant", "acme", "endpoint", "1")
	stop := make(chan struct{})
	stopped := pokeUntil(t, g, "acme", stop)
	deadline := time.Now().Add(30 * time.Second)
	for g.scrape(t)[backlog] == 0 {
		if time.Now().After(deadline) {
			close(stop)
			t.Fatal("the failing endpoint owes nothing after 30 s of follows")
		}
		time.Sleep(50 * time.Millisecond) // polling the observable state, bounded by the deadline
	}
	close(stop)
	<-stopped

	writeTenants(t, file, tenants(keep))
	line := g.reload(t, 1)
	dropped, _ := line["webhook_events_dropped"].(float64)
	got := g.scrape(t)
	t.Run("the log line names the removed endpoint and counts what it was owed", func(t *testing.T) {
		if removed, _ := json.Marshal(line["webhooks_removed"]); string(removed) != `["acme/1"]` || dropped < 1 {
			t.Fatalf("log line: got %v, want acme/1 removed with its events given up", line)
		}
	})
	t.Run("the events given up are counted as dropped", func(t *testing.T) {
		s := series("switchboard_webhook_attempts_total", "tenant", "acme", "endpoint", "1", "outcome", "dropped")
		if got[s] != dropped {
			t.Fatalf("%s: got %v, want %v", s, got[s], dropped)
		}
	})
	t.Run("the removed endpoint's backlog gauge goes, the kept one's stays", func(t *testing.T) {
		if v, ok := got[backlog]; ok {
			t.Fatalf("%s: got %v, want no series", backlog, v)
		}
		if _, ok := got[series("switchboard_webhook_backlog", "tenant", "acme", "endpoint", "0")]; !ok {
			t.Fatal("the kept endpoint's backlog gauge is gone")
		}
	})
}
