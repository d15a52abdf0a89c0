package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/auth"
)

func TestBudgetHoldsAcrossReplicas(t *testing.T) {
	url, prefix := testRedis(t)
	up := startUpstreams(t)
	up.budget = 10
	gs := startReplicas(t, 3, replicaEnv(t, up, url, prefix))
	tok := token(t, "acme", auth.ScopeCallsRead)

	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := range 30 {
		wg.Go(func() {
			// 30 distinct queries, so none is a cache hit.
			resp, body := gs[i%3].get(t, fmt.Sprintf("/v1/calls?limit=%d", i+1), tok)
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
			if resp.StatusCode == 503 {
				p := problem(t, resp, body, 503, "upstream-budget-exhausted")
				if resp.Header.Get("Retry-After") == "" {
					t.Errorf("503 without Retry-After: %v", p)
				}
			}
		})
	}
	wg.Wait()
	if got := maxInWindow(up, time.Minute); got > 10 {
		t.Fatalf("upstream requests in one 60 s window: got %d, want at most 10", got)
	}
	if statuses[200] == 0 || statuses[200] > 10 || statuses[200]+statuses[503] != 30 {
		t.Fatalf("statuses: got %v, want at most 10 successes and the rest 503", statuses)
	}
}

// maxInWindow is the most Phonewagon requests the simulator received in
// any window of length w.
func maxInWindow(up *upstreams, w time.Duration) int {
	var times []time.Time
	for _, r := range up.pw.Requests() {
		times = append(times, r.Time)
	}
	return mostInAnyWindow(times, w)
}

// mostInAnyWindow is the most of times that fall in one window of length w.
func mostInAnyWindow(times []time.Time, w time.Duration) int {
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	best := 0
	for i := range times {
		j := i
		for j < len(times) && times[j].Sub(times[i]) < w {
			j++
		}
		best = max(best, j-i)
	}
	return best
}

func TestOneLoginAndOneFillAcrossReplicas(t *testing.T) {
	url, prefix := testRedis(t)
	up := startUpstreams(t)
	gs := startReplicas(t, 3, replicaEnv(t, up, url, prefix))
	lookups := token(t, "acme", auth.ScopeLookupsRead)
	calls := token(t, "acme", auth.ScopeCallsRead)

	t.Run("20 concurrent first requests make one CallWidget login", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				if resp, body := gs[i%3].get(t, "/v1/departments", lookups); resp.StatusCode != 200 {
					t.Errorf("status %d: %s", resp.StatusCode, body)
				}
			})
		}
		wg.Wait()
		if got := up.cw.Logins(); got != 1 {
			t.Fatalf("logins: got %d, want 1", got)
		}
	})
	t.Run("30 concurrent identical misses make one upstream request", func(t *testing.T) {
		before := countPaths(up, "/calls")
		var wg sync.WaitGroup
		for i := range 30 {
			wg.Go(func() {
				if resp, body := gs[i%3].get(t, "/v1/calls?limit=11", calls); resp.StatusCode != 200 {
					t.Errorf("status %d: %s", resp.StatusCode, body)
				}
			})
		}
		wg.Wait()
		if got := countPaths(up, "/calls") - before; got != 1 {
			t.Fatalf("upstream requests: got %d, want 1", got)
		}
	})
	t.Run("an idempotent replay works across replicas", func(t *testing.T) {
		tok := token(t, "acme", auth.ScopeMessagesSend)
		data, _ := up.cw.Dataset("ops@acme.example")
		body := `{"phone":"+17862455063","install":"` + data.Installs[0].Number + `","message":"hi"}`
		r1, b1 := gs[0].post(t, "/v1/messages", tok, body, "Idempotency-Key", "across")
		r2, b2 := gs[1].post(t, "/v1/messages", tok, body, "Idempotency-Key", "across")
		if r1.StatusCode != 202 || r2.StatusCode != 202 || r2.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(b1, b2) {
			t.Fatalf("got %d then %d replayed=%q", r1.StatusCode, r2.StatusCode, r2.Header.Get("Idempotent-Replayed"))
		}
		if n := len(actionsFor(up.cw, "/share/new-sms")); n != 1 {
			t.Fatalf("texts sent: got %d, want 1", n)
		}
	})
}

func TestTokensAreNeverInRedisInClear(t *testing.T) {
	url, prefix := testRedis(t)
	up := startUpstreams(t)
	issued := spyOnTokens(t, up)
	gs := startReplicas(t, 2, replicaEnv(t, up, url, prefix))
	if resp, body := gs[0].get(t, "/v1/tags", token(t, "acme", auth.ScopeLookupsRead)); resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if len(issued()) == 0 {
		t.Fatal("no token was issued")
	}

	opts, _ := redis.ParseURL(url)
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	keys, err := scanKeys(ctx, rdb, prefix)
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys under the prefix: %d (err %v), want some", len(keys), err)
	}
	for _, k := range keys {
		var dump string
		switch rdb.Type(ctx, k).Val() {
		case "string":
			dump = rdb.Get(ctx, k).Val()
		case "hash":
			dump = fmt.Sprint(rdb.HGetAll(ctx, k).Val())
		case "zset":
			dump = fmt.Sprint(rdb.ZRange(ctx, k, 0, -1).Val())
		}
		for _, tok := range issued() {
			if tok != "" && (strings.Contains(dump, tok) || strings.Contains(k, tok)) {
				t.Fatalf("key %s holds an upstream token in clear", k)
			}
		}
		for _, secret := range []string{"acme-cw-password", "acme-pw-secret"} {
			if strings.Contains(dump, secret) {
				t.Fatalf("key %s holds a credential in clear", k)
			}
		}
	}
}

// ownRedis is a redis-server of a test's own on a free loopback port,
// without persistence, so that the test can stop it and start it again
// empty; it is stopped by its pid when the test ends. Without
// redis-server installed the test is skipped.
type ownRedis struct {
	t    *testing.T
	port string
	cmd  *exec.Cmd
}

func startOwnRedis(t *testing.T) *ownRedis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &ownRedis{t: t, port: strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)}
	ln.Close()
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// URL is the Redis URL of database 0.
func (r *ownRedis) URL() string { return "redis://127.0.0.1:" + r.port + "/0" }

// Start starts the server (empty) and waits until it answers.
func (r *ownRedis) Start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", r.port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("redis-server: %v", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + r.port})
	defer rdb.Close()
	for range 100 {
		if rdb.Ping(context.Background()).Err() == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.Stop()
	r.t.Fatal("redis-server did not come up")
}

// Stop kills the server (SIGKILL: nothing is saved) and waits for it.
func (r *ownRedis) Stop() {
	if r.cmd != nil && r.cmd.ProcessState == nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	}
}

func TestRedisOutageKeepsServingAndRecovers(t *testing.T) {
	srv := startOwnRedis(t)

	up := startUpstreams(t)
	gs := startReplicas(t, 2, replicaEnv(t, up, srv.URL(), "sbtest:outage:"))
	tok := token(t, "acme", auth.ScopeLookupsRead)
	ready := func(g *gateway) int { r, _ := g.get(t, "/readyz", ""); return r.StatusCode }

	if ready(gs[0]) != 200 {
		t.Fatal("readyz before the outage: want 200")
	}
	srv.Stop()

	t.Run("lookups still answer 200 with Redis down", func(t *testing.T) {
		for _, path := range []string{"/v1/tags", "/v1/departments", "/v1/installs"} {
			if resp, body := gs[0].get(t, path, tok); resp.StatusCode != 200 {
				t.Fatalf("%s: status %d: %s", path, resp.StatusCode, body)
			}
		}
	})
	t.Run("readyz says 503", func(t *testing.T) {
		if got := ready(gs[0]); got != 503 {
			t.Fatalf("readyz: got %d, want 503", got)
		}
	})

	srv.Start()
	t.Run("after Redis returns, readyz is 200 and the shared cache is used again", func(t *testing.T) {
		deadline := time.Now().Add(10 * time.Second)
		for ready(gs[0]) != 200 && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if ready(gs[0]) != 200 {
			t.Fatal("readyz did not return to 200")
		}
		// A fill on one replica becomes a hit on the other only through Redis.
		var hit bool
		for time.Now().Before(deadline) && !hit {
			gs[0].get(t, "/v1/automations", tok, "Cache-Control", "no-cache")
			resp, _ := gs[1].get(t, "/v1/automations", tok)
			hit = resp.Header.Get("X-Cache") == "HIT"
			if !hit {
				time.Sleep(200 * time.Millisecond)
			}
		}
		if !hit {
			t.Fatal("replica 2 never hit the entry replica 1 stored after recovery")
		}
	})
}
