package main

import (
	"fmt"
	"testing"
	"time"

	"switchboard/internal/auth"
)

// TestBudgetHoldsWhenRedisRestartsEmpty runs two replicas on a redis-server
// of the test's own, which it restarts without persistence mid-window: the
// shared budget window is lost, and the replicas must rebuild it from what
// each admitted itself before admitting more.
func TestBudgetHoldsWhenRedisRestartsEmpty(t *testing.T) {
	srv := startOwnRedis(t)

	const budget = 10
	up := startUpstreams(t)
	up.budget = budget
	gs := startReplicas(t, 2, replicaEnv(t, up, srv.URL(), "sbtest:restart:"))
	tok := token(t, "acme", auth.ScopeCallsRead)

	statuses := map[int]int{}
	query := 0
	send := func(g *gateway) {
		query++ // distinct queries: none is a cache hit
		resp, body := g.get(t, fmt.Sprintf("/v1/calls?limit=%d", query), tok)
		statuses[resp.StatusCode]++
		if resp.StatusCode != 200 {
			problem(t, resp, body, 503, "upstream-budget-exhausted")
		}
	}
	for i := range 6 {
		send(gs[i%2])
	}

	srv.Stop()
	srv.Start() // empty: --save "" --appendonly no

	// Three seconds of traffic on both replicas: through the outage's
	// cooldown, the recovery and the re-seed.
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
		send(gs[0])
		send(gs[1])
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("statuses: %v", statuses)
	if got := maxInWindow(up, time.Minute); got > budget {
		t.Errorf("upstream requests in one 60 s window: got %d, want at most %d", got, budget)
	}
	if statuses[200] < 6 || statuses[200]+statuses[503] != query {
		t.Errorf("statuses: got %v, want at least the 6 before the restart served and only 503s refused", statuses)
	}
}
