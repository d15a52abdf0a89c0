package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/auth"
	"switchboard/internal/redistest"
)

// clusterBudget is the budget of the account the cluster test spends: small
// enough that its traffic keeps hitting it.
const clusterBudget = 20

// TestReplicasOnARedisClusterThroughFailovers runs three replicas on a Redis
// Cluster with reads, a budget-bound account, keyed actions and a live
// mirror all under way, fails one master over gracefully (CLUSTER FAILOVER)
// and kills another, and checks that reads kept being served, no account
// passed its budget in any 60 s window, the mirror holds every call once,
// the event log lost nothing and no action was sent twice.
func TestReplicasOnARedisClusterThroughFailovers(t *testing.T) {
	fastSyncers(t, 100*time.Millisecond)
	cluster := redistest.StartCluster(t)
	rdb, prefix := cluster.Client(t)
	up := startUpstreams(t)
	mu := startMirrorUpstream(t, 200*time.Millisecond)

	doc := fmt.Sprintf(`tenants:
  - id: acme
    rate_limit_per_minute: 1000000
    callwidget: {base_url: %[1]s, email: ops@acme.example, password: acme-cw-password}
    phonewagon: {base_url: %[2]s, client_id: acme-client, client_secret: acme-pw-secret, budget_per_minute: 5000, mirror: {retention: 8760h, sync_interval: 5s, revisit: 1h, revisit_interval: 24h}}
  - id: plain
    rate_limit_per_minute: 1000000
    phonewagon: {base_url: %[2]s, client_id: plain-client, client_secret: plain-pw-secret, budget_per_minute: %[3]d}
`, up.cwURL, mu.url, clusterBudget)
	path := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SWITCHBOARD_TENANTS_FILE":   path,
		"SWITCHBOARD_REDIS_URL":      cluster.URL(),
		"SWITCHBOARD_REDIS_PREFIX":   prefix,
		"SWITCHBOARD_ENCRYPTION_KEY": base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")),
	}
	gs := startReplicas(t, 3, env)
	for _, g := range gs {
		waitMirrored(t, g, "acme")
	}
	acme := token(t, "acme", auth.ScopeCallsRead)
	before := map[string]bool{}
	for _, id := range ids(t, walkMirror(t, gs, acme, "limit=100", nil)) {
		before[id] = true
	}
	// The first budget request puts plain's keys in Redis.
	if resp, body := gs[0].get(t, "/v1/calls?limit=1", token(t, "plain", auth.ScopeCallsRead)); resp.StatusCode != 200 {
		t.Fatalf("plain's first request: %d %s", resp.StatusCode, body)
	}
	budgetKey := clusterKey(t, rdb, prefix, "plain-client}:admissions")
	mirrorKey := clusterKey(t, rdb, prefix, ":lease")

	traffic := startClusterTraffic(t, gs, up)
	time.Sleep(2 * time.Second) // traffic before the first failover

	cluster.FailoverGraceful(t, budgetKey)
	t.Logf("graceful failover of %s's slot done", budgetKey)
	time.Sleep(3 * time.Second)
	cluster.KillMaster(t, mirrorKey)
	t.Logf("master of %s's slot killed and replaced", mirrorKey)
	time.Sleep(5 * time.Second) // traffic after the replicas found the new master
	traffic.stop()
	accepted := 0
	for _, ok := range traffic.actions {
		if ok {
			accepted++
		}
	}
	t.Logf("traffic: %d reads, %d budget refusals, %d actions (%d accepted)", traffic.reads, traffic.budgetRefused, len(traffic.actions), accepted)

	t.Run("reads kept being served", func(t *testing.T) {
		if traffic.reads == 0 {
			t.Fatal("no read was made")
		}
		if len(traffic.readFailures) > 0 {
			t.Fatalf("%d of %d reads failed, first: %s", len(traffic.readFailures), traffic.reads, traffic.readFailures[0])
		}
	})
	t.Run("no account passed its budget in any 60 s window", func(t *testing.T) {
		if got := maxInWindowOf(mu, "plain-client", time.Minute); got > clusterBudget || got == 0 {
			t.Fatalf("plain's upstream requests in one 60 s window: got %d, want 1..%d", got, clusterBudget)
		}
		if traffic.budgetRefused == 0 {
			t.Error("plain's budget was never spent: the test did not press it")
		}
		if got := maxInWindowOf(mu, "acme-client", time.Minute); got > 5000 {
			t.Fatalf("acme's upstream requests in one 60 s window: got %d, want at most 5000", got)
		}
	})
	t.Run("no action was sent twice", func(t *testing.T) {
		sent := map[string]int{}
		for _, a := range actionsFor(up.cw, "/share/new-sms") {
			if m, _ := a.Fields["message"].(string); strings.HasPrefix(m, "cluster-") {
				sent[m]++
			}
		}
		if accepted == 0 {
			t.Fatal("no action was accepted")
		}
		for msg, accepted := range traffic.actions {
			if sent[msg] > 1 || (accepted && sent[msg] != 1) {
				t.Errorf("action %s: sent %d times upstream (accepted: %v), want once", msg, sent[msg], accepted)
			}
		}
	})

	// The checks below read the shared state: the replicas' clients must
	// have found the new topology (a follow that ends proves it).
	t0 := time.Now().UTC()
	upstreamAtT0, _ := mu.pw.Dataset("acme-client")
	var last reply
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		last, _ = tryRequest(http.MethodGet, gs[0].URL+"/v1/calls?limit=1", acme, "", "Cache-Control", "no-cache")
		at, err := time.Parse(time.RFC3339, last.header.Get("X-Synced-At"))
		if last.status == 200 && last.header.Get("X-Cache") == "MIRROR" && err == nil && !at.Before(t0.Truncate(time.Second)) {
			break
		}
		if time.Now().After(deadline) {
			for i, g := range gs {
				_, st := g.get(t, "/v1/sync", acme)
				t.Logf("replica %d: /v1/sync %s", i, st)
				lines := strings.Split(g.Logs.String(), "\n")
				var errs []string
				for _, l := range lines {
					if strings.Contains(l, "WARN") || strings.Contains(l, "ERROR") {
						errs = append(errs, l)
					}
				}
				if len(errs) > 15 {
					errs = errs[len(errs)-15:]
				}
				t.Logf("replica %d: last warnings:\n%s", i, strings.Join(errs, "\n"))
			}
			t.Fatalf("no follow of acme within 30 s of the failovers: last read %d X-Cache %q X-Synced-At %q %s",
				last.status, last.header.Get("X-Cache"), last.header.Get("X-Synced-At"), truncate(last.body))
		}
	}

	var mirrored []string
	t.Run("the mirror holds every call once", func(t *testing.T) {
		mirrored = ids(t, walkMirror(t, gs, acme, "limit=100", nil))
		upstreamNow, _ := mu.pw.Dataset("acme-client")
		known := map[string]bool{}
		for _, c := range upstreamNow.Calls {
			known[strconv.FormatInt(c.ID, 10)] = true
		}
		seen := map[string]bool{}
		for _, id := range mirrored {
			if seen[id] {
				t.Errorf("call %s is in the mirror twice", id)
			}
			if !known[id] {
				t.Errorf("call %s is in the mirror but not upstream", id)
			}
			seen[id] = true
		}
		for _, c := range upstreamAtT0.Calls {
			if !seen[strconv.FormatInt(c.ID, 10)] {
				t.Errorf("call %d (started %s) is upstream but missing from the mirror", c.ID, time.UnixMilli(c.StartTime).UTC())
			}
		}
		if len(upstreamAtT0.Calls) <= len(before) {
			t.Errorf("no call arrived during the test (%d before, %d after)", len(before), len(upstreamAtT0.Calls))
		}
	})
	t.Run("no event was lost", func(t *testing.T) {
		created := replayCreated(t, gs[1], "acme")
		fresh := 0
		for _, id := range mirrored {
			if before[id] {
				continue
			}
			fresh++
			if !created[id] {
				t.Errorf("call %s was mirrored during the test without a call.created event", id)
			}
		}
		if fresh == 0 {
			t.Fatal("no call was mirrored during the test")
		}
	})
}

// clusterKey is the first key under prefix that holds part.
func clusterKey(t *testing.T, rdb *redis.ClusterClient, prefix, part string) string {
	t.Helper()
	keys, err := redistest.ClusterKeys(context.Background(), rdb, prefix)
	if err != nil {
		t.Fatalf("listing the keys: %v", err)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if strings.Contains(k, part) {
			return k
		}
	}
	t.Fatalf("no key under %s holds %q; keys: %q", prefix, part, keys)
	return ""
}

// reply is what tryRequest read.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// tryRequest makes one request; unlike gateway.get it does not fail the
// test, so that the traffic's goroutines may use it.
func tryRequest(method, url, bearer, body string, hdr ...string) (reply, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, err
}

// clusterTraffic is the load of the cluster test and what it saw.
type clusterTraffic struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu            sync.Mutex
	reads         int
	readFailures  []string
	budgetRefused int
	// actions maps each action's message to whether a replica accepted
	// it (202).
	actions map[string]bool
}

// startClusterTraffic runs, until stop: mirror reads of acme on every
// replica (some asking for a follow), distinct queries of plain (each an
// upstream request against its budget), and keyed texts of acme, each
// sent to one replica and replayed on another, retried while refused.
func startClusterTraffic(t *testing.T, gs []*gateway, up *upstreams) *clusterTraffic {
	ctx, cancel := context.WithCancel(context.Background())
	tr := &clusterTraffic{cancel: cancel, actions: map[string]bool{}}
	acme := token(t, "acme", auth.ScopeCallsRead)
	plain := token(t, "plain", auth.ScopeCallsRead)
	texts := token(t, "acme", auth.ScopeMessagesSend)
	data, _ := up.cw.Dataset("ops@acme.example")
	install := data.Installs[0].Number

	for r := range 3 {
		tr.wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				var hdr []string
				if i%5 == 0 {
					hdr = []string{"Cache-Control", "no-cache"}
				}
				url := gs[(r+i)%len(gs)].URL + fmt.Sprintf("/v1/calls?limit=%d", 1+i%20)
				rep, err := tryRequest(http.MethodGet, url, acme, "", hdr...)
				tr.mu.Lock()
				tr.reads++
				if err != nil || rep.status != 200 {
					tr.readFailures = append(tr.readFailures, fmt.Sprintf("%s: %d %v %s", url, rep.status, err, truncate(rep.body)))
				}
				tr.mu.Unlock()
				sleepCtx(ctx, 50*time.Millisecond)
			}
		})
	}
	for r := range 2 {
		tr.wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				// A query of its own each time: never a cache hit.
				url := gs[(r+i)%len(gs)].URL + fmt.Sprintf("/v1/calls?limit=%d&since=2025-01-01T00:%02d:%02dZ", 1+r, i/60%60, i%60)
				rep, err := tryRequest(http.MethodGet, url, plain, "")
				if err == nil && rep.status == 503 && strings.Contains(string(rep.body), "upstream-budget-exhausted") {
					tr.mu.Lock()
					tr.budgetRefused++
					tr.mu.Unlock()
				}
				sleepCtx(ctx, 100*time.Millisecond)
			}
		})
	}
	tr.wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			msg := fmt.Sprintf("cluster-%d", i)
			body := `{"phone":"+17862455063","install":"` + install + `","message":"` + msg + `"}`
			accepted := false
			// The first send, then a replay on the next replica; each retried
			// on another replica while refused (Redis unreachable: 503) or in
			// flight (409).
			for try := 0; try < 40 && ctx.Err() == nil; try++ {
				rep, err := tryRequest(http.MethodPost, gs[(i+try)%len(gs)].URL+"/v1/messages", texts, body, "Idempotency-Key", msg)
				if err == nil && rep.status == 202 {
					if accepted {
						break
					}
					accepted = true
					continue
				}
				if err == nil && rep.status != 503 && rep.status != 409 {
					break // an outcome the key keeps (504 uncertain, for one)
				}
				sleepCtx(ctx, 100*time.Millisecond)
			}
			tr.mu.Lock()
			tr.actions[msg] = accepted
			tr.mu.Unlock()
			sleepCtx(ctx, 100*time.Millisecond)
		}
	})
	t.Cleanup(tr.stop)
	return tr
}

// stop ends the traffic and waits for it.
func (tr *clusterTraffic) stop() {
	tr.cancel()
	tr.wg.Wait()
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// maxInWindowOf is the most requests the Phonewagon simulator received for
// clientID in any window of length w.
func maxInWindowOf(u *mirrorUpstream, clientID string, w time.Duration) int {
	var times []time.Time
	for _, r := range u.pw.Requests() {
		if r.ClientID == clientID {
			times = append(times, r.Time)
		}
	}
	return mostInAnyWindow(times, w)
}

// replayCreated replays tenant's whole event log from g and returns the
// ids of the calls that have a call.created event, failing t on an event
// id that repeats or goes back.
func replayCreated(t *testing.T, g *gateway, tenant string) map[string]bool {
	t.Helper()
	s := openEvents(t, g, tenant, "?last_event_id=0-0")
	created := map[string]bool{}
	var last, id, typ string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("%s's replay: %v", tenant, err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == ": live":
			return created
		case strings.HasPrefix(line, "id: "):
			id = line[4:]
			if last != "" && !idBefore(last, id) {
				t.Errorf("event %s follows %s: ids must increase", id, last)
			}
			last = id
		case strings.HasPrefix(line, "event: "):
			typ = line[7:]
		case strings.HasPrefix(line, "data: ") && typ == "call.created":
			var e struct {
				Data json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal([]byte(line[6:]), &e); err != nil {
				t.Fatalf("event %s: %v", id, err)
			}
			call, _ := callID(t, e.Data)
			created[call] = true
		}
	}
}
