package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/clocktest"
)

// mirrorReplicaEnv is the environment of one replica of a Redis-backed
// deployment in front of u.
func mirrorReplicaEnv(t *testing.T, u *mirrorUpstream, redisURL, prefix string) map[string]string {
	env := u.env(t)
	env["SWITCHBOARD_REDIS_URL"] = redisURL
	env["SWITCHBOARD_REDIS_PREFIX"] = prefix
	env["SWITCHBOARD_ENCRYPTION_KEY"] = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	return env
}

func TestThreeReplicasOnRedisServeTheSameMirror(t *testing.T) {
	// Follow requests are looked for every 300 ms: callers on every replica
	// that ask within one such period share one follow.
	fastSyncers(t, 300*time.Millisecond)
	redisURL, prefix := testRedis(t)
	up := startMirrorUpstream(t, 0)
	gs := startReplicas(t, 3, mirrorReplicaEnv(t, up, redisURL, prefix))
	for _, g := range gs {
		waitMirrored(t, g, "acme")
	}
	tok := token(t, "acme", "calls:read")

	holder := -1
	t.Run("one replica syncs the account", func(t *testing.T) {
		holders := 0
		for i, g := range gs {
			if holdsLease(g, "acme-client") {
				holders, holder = holders+1, i
			}
		}
		if holders != 1 {
			t.Fatalf("replicas that took acme's lease: got %d, want 1", holders)
		}
	})

	_, first := gs[0].get(t, "/v1/calls?limit=3", tok)
	var p callPage
	_ = json.Unmarshal(first, &p)
	id, _ := callID(t, p.Data[0])
	for _, path := range []string{
		"/v1/calls?limit=50",
		"/v1/calls?limit=20&company_id=1050&since=2026-01-01T00:00:00Z",
		"/v1/calls/" + id,
		"/v1/sync",
		"/v1/calls/export",
	} {
		t.Run("every replica answers "+path+" alike", func(t *testing.T) {
			var bodies [][]byte
			var etags []string
			for i, g := range gs {
				resp, body := g.get(t, path, tok)
				if resp.StatusCode != 200 {
					t.Fatalf("replica %d: status %d %s", i, resp.StatusCode, truncate(body))
				}
				if path != "/v1/sync" && resp.Header.Get("X-Cache") != "MIRROR" {
					t.Fatalf("replica %d: X-Cache %q, want MIRROR", i, resp.Header.Get("X-Cache"))
				}
				bodies, etags = append(bodies, body), append(etags, resp.Header.Get("ETag"))
			}
			for i := 1; i < len(gs); i++ {
				if !bytes.Equal(bodies[i], bodies[0]) || etags[i] != etags[0] {
					t.Fatalf("replica %d answers otherwise than replica 0 (ETag %s vs %s)", i, etags[i], etags[0])
				}
			}
		})
	}
	t.Run("a walk hopping between replicas serves what one replica serves", func(t *testing.T) {
		hop := ids(t, walkMirror(t, gs, tok, "limit=30", nil))
		one := ids(t, walkMirror(t, gs[1:2], tok, "limit=30", nil))
		if !slices.Equal(hop, one) || len(one) != mirrorAccountCalls {
			t.Fatalf("walks: %d calls hopping, %d on one replica, want the same %d", len(hop), len(one), mirrorAccountCalls)
		}
	})
	t.Run("no-cache callers on every replica share one follow", func(t *testing.T) {
		before := up.callsRequests("acme-client")
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 12 {
			wg.Go(func() {
				<-start
				resp, body := gs[i%3].get(t, "/v1/calls?limit=2&since=2026-01-01T00:00:00Z", tok, "Cache-Control", "no-cache")
				if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "MIRROR" {
					t.Errorf("caller %d: got %d X-Cache %q %s", i, resp.StatusCode, resp.Header.Get("X-Cache"), truncate(body))
				}
			})
		}
		close(start)
		wg.Wait()
		if got := up.callsRequests("acme-client") - before; got < 1 || got > 2 {
			t.Fatalf("upstream /calls requests for 12 no-cache callers on 3 replicas: got %d, want 1 (2 when a poll splits them)", got)
		}
	})
	t.Run("when the syncing replica stops, another takes over and keeps following", func(t *testing.T) {
		if holder < 0 {
			t.Skip("no single holder")
		}
		stopped := time.Now().UTC().Truncate(time.Second)
		gs[holder].stop()
		rest := slices.Delete(slices.Clone(gs), holder, holder+1)
		clocktest.Eventually(t, 10*time.Second, "another replica takes the lease over", func() bool {
			return holdsLease(rest[0], "acme-client") || holdsLease(rest[1], "acme-client")
		})
		resp, body := rest[0].get(t, "/v1/calls?limit=2", tok, "Cache-Control", "no-cache")
		if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "MIRROR" {
			t.Fatalf("got %d X-Cache %q %s", resp.StatusCode, resp.Header.Get("X-Cache"), truncate(body))
		}
		if at, err := time.Parse(time.RFC3339, resp.Header.Get("X-Synced-At")); err != nil || at.Before(stopped) {
			t.Fatalf("X-Synced-At: got %q, want a follow at or after the holder stopped (%s)", resp.Header.Get("X-Synced-At"), stopped)
		}
	})
}

// holdsLease reports whether g took account's mirror lease and has not
// given it up since.
func holdsLease(g *gateway, account string) bool {
	m := g.metrics()
	return strings.Contains(m, `switchboard_mirror_lease_changes_total{account="`+account+`",change="acquired"} 1`) &&
		!strings.Contains(m, `switchboard_mirror_lease_changes_total{account="`+account+`",change="released"}`)
}
