package main

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/sandbox/phonewagonsim"
)

// exportedNames returns the metric names on g's /metrics.
func exportedNames(t *testing.T, g *gateway) map[string]bool {
	t.Helper()
	resp, body := g.get(t, "/metrics", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", resp.StatusCode)
	}
	out := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.IndexAny(line, "{ "); i > 0 {
			out[line[:i]] = true
		}
	}
	return out
}

// mirrorAndEventsMetricNames runs a gateway on Redis with a live mirrored
// account and a webhook endpoint, after the activity that makes every
// mirror, event and webhook series exist (a backfill and follows, a
// lease taken, events recorded, an event stream open, attempts made and a
// backlog measured), and returns the metric names it exports.
func mirrorAndEventsMetricNames(t *testing.T) map[string]bool {
	t.Helper()
	fastSyncers(t, 50*time.Millisecond)
	now := time.Now().UTC()
	pw, err := phonewagonsim.New(phonewagonsim.Config{
		Accounts: []phonewagonsim.Account{
			{ClientID: "acme-client", ClientSecret: "acme-pw-secret", Seed: 1, Calls: 100, ArrivalEvery: 200 * time.Millisecond},
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
	var attempts atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("metrics-webhook-key-0123456789ab"))
	file := writeTenants(t, "", fmt.Sprintf(`tenants:
  - id: acme
    phonewagon: {base_url: %s, client_id: acme-client, client_secret: acme-pw-secret, budget_per_minute: 5000,
                 mirror: {retention: 8760h, sync_interval: 1h, revisit: 1h, revisit_interval: 24h}}
    webhooks:
      - {url: '%s/hook', secret: '%s'}
`, up.URL, receiver.URL, secret))
	redisURL, prefix := testRedis(t)
	env := mirrorReplicaEnv(t, &mirrorUpstream{url: up.URL}, redisURL, prefix)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	waitMirrored(t, g, "acme")
	stream := openEvents(t, g, "acme")

	stop := make(chan struct{})
	stopped := pokeUntil(t, g, "acme", stop)
	if _, err := stream.next(); err != nil {
		t.Fatalf("acme's stream: %v", err)
	}
	close(stop)
	<-stopped
	deadline := time.Now().Add(20 * time.Second)
	for {
		names := exportedNames(t, g)
		if attempts.Load() > 0 && names["switchboard_webhook_backlog"] && names["switchboard_webhook_attempts_total"] {
			return names
		}
		if time.Now().After(deadline) {
			t.Fatalf("no webhook attempt and backlog on /metrics within 20 s (%d attempts)", attempts.Load())
		}
		time.Sleep(50 * time.Millisecond) // polling the observable state, bounded by the deadline
	}
}
