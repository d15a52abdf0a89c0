package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/internal/sandbox/phonewagonsim"
)

// streamEvent is one event of a stream: its id and the JSON of its call
// (the event's data field, as sent).
type streamEvent struct{ id, call string }

// replayAll opens tenant's stream from the beginning of what is kept and
// returns every event it replays, up to the comment that marks the end of
// the replay.
func replayAll(t *testing.T, g *gateway, tenant string) []streamEvent {
	t.Helper()
	s := openEvents(t, g, tenant, "?last_event_id=0-0")
	watchdog := time.AfterFunc(30*time.Second, func() { s.body.Close() })
	defer watchdog.Stop()
	var out []streamEvent
	var cur streamEvent
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("%s's replay: %v after %d events", tenant, err, len(out))
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == ": live":
			return out
		case strings.HasPrefix(line, "id: "):
			cur.id = line[4:]
		case strings.HasPrefix(line, "data: "):
			var ev struct{ Data json.RawMessage }
			if err := json.Unmarshal([]byte(line[6:]), &ev); err != nil {
				t.Fatalf("%s's replay: data line %q: %v", tenant, line, err)
			}
			cur.call = string(ev.Data)
		case line == "" && cur.id != "":
			out = append(out, cur)
			cur = streamEvent{}
		}
	}
}

// pokeUntil runs a follow of tenant's mirror every 100 ms until done is
// closed; the returned channel closes when it stopped.
func pokeUntil(t *testing.T, g *gateway, tenant string, done <-chan struct{}) <-chan struct{} {
	tok := token(t, tenant, "calls:read")
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
				req, _ := http.NewRequest(http.MethodGet, g.URL+"/v1/calls?limit=1", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Cache-Control", "no-cache")
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
			}
		}
	}()
	return stopped
}

// TestEventStreamsOfAnotherAccountNeverCarryItsEvents runs a gateway on
// Redis with two live mirrored accounts: acme's (tenants acme and
// acme-ops) and beta's. Beta's stream, live and replayed from the
// beginning, carries beta's events only, while acme's events are recorded
// alongside; acme-ops, on acme's account, sees exactly acme's.
func TestEventStreamsOfAnotherAccountNeverCarryItsEvents(t *testing.T) {
	fastSyncers(t, 50*time.Millisecond)
	now := time.Now().UTC()
	pw, err := phonewagonsim.New(phonewagonsim.Config{
		Accounts: []phonewagonsim.Account{
			{ClientID: "acme-client", ClientSecret: "acme-pw-secret", Seed: 1, Calls: 100, ArrivalEvery: 200 * time.Millisecond},
			{ClientID: "beta-client", ClientSecret: "beta-pw-secret", Seed: 2, Calls: 100, ArrivalEvery: 200 * time.Millisecond},
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
	mirrorBlock := "mirror: {retention: 8760h, sync_interval: 1h, revisit: 1h, revisit_interval: 24h}"
	doc := fmt.Sprintf(`tenants:
  - id: acme
    phonewagon: {base_url: %[1]s, client_id: acme-client, client_secret: acme-pw-secret, budget_per_minute: 5000, %[2]s}
  - id: acme-ops
    phonewagon: {base_url: %[1]s, client_id: acme-client, client_secret: acme-pw-secret, budget_per_minute: 5000, %[2]s}
  - id: beta
    phonewagon: {base_url: %[1]s, client_id: beta-client, client_secret: beta-pw-secret, budget_per_minute: 5000, %[2]s}
`, up.URL, mirrorBlock)
	path := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	redisURL, prefix := testRedis(t)
	env := map[string]string{"SWITCHBOARD_TENANTS_FILE": path}
	for k, v := range mirrorReplicaEnv(t, &mirrorUpstream{url: up.URL}, redisURL, prefix) {
		if k != "SWITCHBOARD_TENANTS_FILE" {
			env[k] = v
		}
	}
	g := startGateway(t, env)
	waitMirrored(t, g, "acme")
	waitMirrored(t, g, "beta")

	betaLive := openEvents(t, g, "beta")
	acmeLive := openEvents(t, g, "acme")
	watchdog := time.AfterFunc(60*time.Second, func() { betaLive.body.Close(); acmeLive.body.Close() })
	defer watchdog.Stop()

	// acme's events first, while beta's stream is open...
	stop := make(chan struct{})
	stopped := pokeUntil(t, g, "acme", stop)
	var acmeSeen []sse
	for len(acmeSeen) < 3 {
		e, err := acmeLive.next()
		if err != nil {
			t.Fatalf("acme's stream: %v", err)
		}
		acmeSeen = append(acmeSeen, e)
	}
	close(stop)
	<-stopped
	// ...then beta's: the first event on beta's live stream must be one.
	stop = make(chan struct{})
	stopped = pokeUntil(t, g, "beta", stop)
	betaFirst, err := betaLive.next()
	close(stop)
	<-stopped
	if err != nil {
		t.Fatalf("beta's stream: %v", err)
	}

	acme, acmeOps, beta := replayAll(t, g, "acme"), replayAll(t, g, "acme-ops"), replayAll(t, g, "beta")
	acmeCalls := map[string]bool{}
	for _, e := range acme {
		acmeCalls[e.call] = true
	}
	betaCalls := map[string]bool{}
	for _, e := range beta {
		betaCalls[e.call] = true
	}

	t.Run("beta's live stream carries beta's event, not acme's recorded before it", func(t *testing.T) {
		first := streamEvent{betaFirst.id, string(betaFirst.data.Data)}
		if !slices.Contains(beta, first) {
			t.Fatalf("beta's live event %s is not in beta's replay", first.id)
		}
		if acmeCalls[first.call] {
			t.Fatalf("beta's live event %s carries a call of acme's", first.id)
		}
	})
	t.Run("beta's replay carries none of acme's events", func(t *testing.T) {
		if len(beta) == 0 || len(acme) < len(acmeSeen) {
			t.Fatalf("replays: beta %d events, acme %d, want some of each", len(beta), len(acme))
		}
		for _, e := range beta {
			if acmeCalls[e.call] {
				t.Fatalf("beta's replay carries acme's event %s", e.id)
			}
		}
		for _, e := range acmeSeen {
			call := string(e.data.Data)
			if !acmeCalls[call] || betaCalls[call] {
				t.Fatalf("acme's live event %s: in acme's replay %v, in beta's %v; want acme's only", e.id, acmeCalls[call], betaCalls[call])
			}
		}
	})
	t.Run("a tenant sharing acme's account sees exactly acme's events", func(t *testing.T) {
		if !slices.Equal(acme, acmeOps) {
			t.Fatalf("acme-ops replayed %d events, acme %d: want the same ids and calls", len(acmeOps), len(acme))
		}
	})
}
