package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/clocktest"
	"switchboard/internal/sandbox/phonewagonsim"
)

// The tests of this file kill replicas with SIGKILL, the real process and
// not a cancelled context, at a moment an upstream holds: nothing of the
// killed process runs after it (no release, no deferred cleanup).

// holdGate sits in front of an upstream simulator and holds the requests
// that match until released (or until their client goes away), so that a
// test can kill the replica that sent one while it is in flight.
type holdGate struct {
	mu      sync.Mutex
	match   func(*http.Request) bool
	once    bool
	held    chan *http.Request
	release chan struct{}
}

// arm makes the gate hold the requests that match (only the first one
// when once): each is sent on held as it arrives, then waits for release.
func (g *holdGate) arm(t *testing.T, once bool, match func(*http.Request) bool) (held <-chan *http.Request, release func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.match, g.once = match, once
	g.held = make(chan *http.Request, 256)
	g.release = make(chan struct{})
	rel := g.release
	var o sync.Once
	release = func() { o.Do(func() { close(rel) }) }
	t.Cleanup(release)
	return g.held, release
}

func (g *holdGate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		hold := g.match != nil && g.match(r)
		held, release := g.held, g.release
		if hold && g.once {
			g.match = nil
		}
		g.mu.Unlock()
		if hold {
			// With its body read, the request's context ends when its
			// client goes away (a killed replica).
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			select {
			case held <- r:
			default:
			}
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		next.ServeHTTP(w, r)
	})
}

// awaitHeld waits (bounded) for the gate to hold a request.
func awaitHeld(t *testing.T, held <-chan *http.Request, within time.Duration, what string) *http.Request {
	t.Helper()
	select {
	case r := <-held:
		return r
	case <-time.After(within):
		t.Fatalf("%s: no request held within %v", what, within)
		return nil
	}
}

// replicaProcess is the gateway binary running as a child process that a
// test may kill.
type replicaProcess struct {
	*gateway
	pid    int
	logs   *lockedBuffer
	exited chan struct{}
}

// startReplicaProcess starts bin with env and waits for it to listen. At
// the end of t a process still running gets SIGTERM (SIGKILL after 20 s).
func startReplicaProcess(t *testing.T, bin string, env map[string]string) *replicaProcess {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "SWITCHBOARD_ADDR=127.0.0.1:0", "SWITCHBOARD_JWT_SECRET="+e2eSecret, "SWITCHBOARD_SANDBOX=false")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &replicaProcess{pid: cmd.Process.Pid, logs: &lockedBuffer{}, exited: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.logs.Write([]byte(sc.Text() + "\n"))
		}
		_ = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
			return
		default:
		}
		_ = syscall.Kill(p.pid, syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
			<-p.exited
		}
	})
	var url string
	p.logs.waitFor(t, 20*time.Second, "listening", func(s string) bool {
		for _, l := range strings.Split(s, "\n") {
			var rec struct{ Msg, URL string }
			if json.Unmarshal([]byte(l), &rec) == nil && rec.Msg == "listening" {
				url = rec.URL
				return true
			}
		}
		return false
	})
	p.gateway = &gateway{URL: url}
	return p
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *replicaProcess) kill(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(p.pid, syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL %d: %v", p.pid, err)
	}
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("process %d still running 10 s after SIGKILL", p.pid)
	}
}

// crashUpstream is a Phonewagon simulator behind a hold gate, with one
// live account, acme, whose history takes several backfill pages.
type crashUpstream struct {
	pw   *phonewagonsim.Server
	gate *holdGate
	url  string
}

// crashHistory is acme's history: three backfill pages of 1,000, the last
// one partial.
const crashHistory = 2500

func startCrashUpstream(t *testing.T, calls int, arrivals time.Duration) *crashUpstream {
	t.Helper()
	now := time.Now().UTC()
	pw, err := phonewagonsim.New(phonewagonsim.Config{
		Accounts:      []phonewagonsim.Account{{ClientID: "acme-client", ClientSecret: "acme-pw-secret", Seed: 1, Calls: calls, ArrivalEvery: arrivals}},
		RatePerMinute: 10000,
		Anchor:        now.Truncate(time.Second).Add(-time.Minute),
		LiveFrom:      now,
	})
	if err != nil {
		t.Fatal(err)
	}
	u := &crashUpstream{pw: pw, gate: &holdGate{}}
	srv := httptest.NewServer(u.gate.wrap(pw))
	t.Cleanup(srv.Close)
	u.url = srv.URL
	return u
}

// env is the environment of one replica on Redis: tenant acme on the
// mirrored account (following every 5 s, the shortest interval allowed;
// revisiting only once a day, so that every /calls request after the
// first rounds is a follow), and webhooks when given.
func (u *crashUpstream) env(t *testing.T, redisURL, prefix string, extra ...string) map[string]string {
	t.Helper()
	doc := fmt.Sprintf(`tenants:
  - id: acme
    phonewagon: {base_url: %s, client_id: acme-client, client_secret: acme-pw-secret, budget_per_minute: 5000,
                 mirror: {retention: 8760h, sync_interval: 5s, revisit: 1h, revisit_interval: 24h}}
    rate_limit_per_minute: 100000
`, u.url) + strings.Join(extra, "")
	return map[string]string{
		"SWITCHBOARD_TENANTS_FILE":   writeTenants(t, "", doc),
		"SWITCHBOARD_REDIS_URL":      redisURL,
		"SWITCHBOARD_REDIS_PREFIX":   prefix,
		"SWITCHBOARD_ENCRYPTION_KEY": base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")),
	}
}

// acmeCalls matches the simulator's acme /calls requests.
func acmeCalls(r *http.Request) bool {
	id, _, _ := r.BasicAuth()
	return id == "acme-client" && strings.HasSuffix(r.URL.Path, "/calls")
}

// upstreamIDs returns the ids of every call the simulator serves acme now.
func upstreamIDs(t *testing.T, pw *phonewagonsim.Server) map[string]bool {
	t.Helper()
	d, ok := pw.Dataset("acme-client")
	if !ok {
		t.Fatal("no acme dataset")
	}
	out := make(map[string]bool, len(d.Calls))
	for _, c := range d.Calls {
		out[strconv.FormatInt(c.ID, 10)] = true
	}
	return out
}

// checkMirrorHoldsEveryCallOnce runs a follow on g (a no-cache read), then
// walks the whole mirror: it must hold each call once, every call the
// upstream served before the follow, and no call the upstream does not
// serve after the walk. It returns the ids walked.
func checkMirrorHoldsEveryCallOnce(t *testing.T, g *gateway, pw *phonewagonsim.Server) map[string]bool {
	t.Helper()
	tok := token(t, "acme", auth.ScopeCallsRead)
	before := upstreamIDs(t, pw)
	resp, body := g.get(t, "/v1/calls?limit=1", tok, "Cache-Control", "no-cache")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Cache") != "MIRROR" {
		t.Fatalf("no-cache read: %d X-Cache %q %s", resp.StatusCode, resp.Header.Get("X-Cache"), truncate(body))
	}
	walked := ids(t, walkMirror(t, []*gateway{g}, tok, "limit=1000", nil))
	after := upstreamIDs(t, pw)
	seen := make(map[string]bool, len(walked))
	for _, id := range walked {
		if seen[id] {
			t.Fatalf("the mirror serves call %s twice", id)
		}
		if !after[id] {
			t.Fatalf("the mirror serves call %s, which the upstream does not", id)
		}
		seen[id] = true
	}
	for id := range before {
		if !seen[id] {
			t.Fatalf("the mirror lacks call %s (holds %d calls, the upstream served %d before the follow)", id, len(seen), len(before))
		}
	}
	return seen
}

// leaseHolder returns the index of the one replica among ps that holds
// acme's mirror lease, failing unless exactly one does.
func leaseHolder(t *testing.T, ps []*replicaProcess) int {
	t.Helper()
	holder, n := -1, 0
	for i, p := range ps {
		if holdsLease(p.gateway, "acme-client") {
			holder, n = i, n+1
		}
	}
	if n != 1 {
		t.Fatalf("replicas holding acme's lease: got %d, want 1", n)
	}
	return holder
}

// awaitTakeover waits, within SPEC §7's 30 s, until one of rest holds
// acme's lease, and returns it and how long that took.
func awaitTakeover(t *testing.T, rest []*replicaProcess, killed time.Time) (*replicaProcess, time.Duration) {
	t.Helper()
	var by *replicaProcess
	clocktest.Eventually(t, 30*time.Second, "another replica takes acme's lease over (SPEC §7: within 30 s)", func() bool {
		for _, p := range rest {
			if holdsLease(p.gateway, "acme-client") {
				by = p
				return true
			}
		}
		return false
	})
	took := time.Since(killed)
	t.Logf("lease taken over %v after the SIGKILL", took.Round(100*time.Millisecond))
	return by, took
}

// TestAReplicaKilledMidBackfillPageIsTakenOverAndTheMirrorHoldsEveryCallOnce
// runs three replicas of the binary on Redis; the upstream holds the
// second backfill page of acme's history, and the replica that asked for
// it (the lease holder) is killed. Another replica takes the lease over
// within 30 s, finishes the backfill, and the mirror holds every call of
// the upstream exactly once.
func TestAReplicaKilledMidBackfillPageIsTakenOverAndTheMirrorHoldsEveryCallOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildGateway(t)
	redisURL, prefix := testRedis(t)
	up := startCrashUpstream(t, crashHistory, 500*time.Millisecond)
	n := 0
	held, release := up.gate.arm(t, true, func(r *http.Request) bool {
		if !acmeCalls(r) {
			return false
		}
		n++
		return n == 2 // the backfill's second page
	})
	env := up.env(t, redisURL, prefix)
	ps := []*replicaProcess{startReplicaProcess(t, bin, env), startReplicaProcess(t, bin, env), startReplicaProcess(t, bin, env)}
	awaitHeld(t, held, 30*time.Second, "the second backfill page")

	holder := leaseHolder(t, ps)
	rest := slices.Delete(slices.Clone(ps), holder, holder+1)
	var st syncStatus
	resp, body := rest[0].get(t, "/v1/sync", token(t, "acme", auth.ScopeCallsRead))
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &st) != nil || st.State != "backfilling" || st.Calls != 1000 {
		t.Fatalf("GET /v1/sync while the page is held: %d %s, want backfilling with the first page's 1000 calls", resp.StatusCode, body)
	}

	ps[holder].kill(t)
	killed := time.Now()
	release() // the killed replica's request: answered to no one
	by, _ := awaitTakeover(t, rest, killed)

	t.Run("the backfill completes and the mirror holds every call of the upstream once", func(t *testing.T) {
		waitMirrored(t, by.gateway, "acme")
		got := checkMirrorHoldsEveryCallOnce(t, by.gateway, up.pw)
		if len(got) < crashHistory {
			t.Fatalf("the mirror holds %d calls, want the %d of the history and the arrivals", len(got), crashHistory)
		}
	})
	t.Run("every replica serves the same mirror", func(t *testing.T) {
		tok := token(t, "acme", auth.ScopeCallsRead)
		var first []byte
		for i, p := range rest {
			resp, body := p.get(t, "/v1/calls?limit=100&until="+time.Now().UTC().Add(-2*time.Minute).Format(time.RFC3339), tok)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Cache") != "MIRROR" {
				t.Fatalf("replica %d: %d X-Cache %q", i, resp.StatusCode, resp.Header.Get("X-Cache"))
			}
			if i == 0 {
				first = body
			} else if string(body) != string(first) {
				t.Fatalf("replica %d answers otherwise than replica 0", i)
			}
		}
	})
}

// TestAReplicaKilledMidFollowIsTakenOverAndNoCallOrEventIsLost runs two
// replicas of the binary on Redis with a live account; once the mirror
// follows, the upstream holds the next follow request and its replica is
// killed. The other takes the lease over within 30 s; the mirror then
// holds every call once, and a stream opened on the survivor before the
// kill carries a call.created for every call the mirror did not hold
// before: the calls the killed follow was fetching are not lost.
func TestAReplicaKilledMidFollowIsTakenOverAndNoCallOrEventIsLost(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildGateway(t)
	redisURL, prefix := testRedis(t)
	up := startCrashUpstream(t, mirrorAccountCalls, 300*time.Millisecond)
	env := up.env(t, redisURL, prefix)
	ps := []*replicaProcess{startReplicaProcess(t, bin, env), startReplicaProcess(t, bin, env)}
	for _, p := range ps {
		waitMirrored(t, p.gateway, "acme")
	}
	holder := leaseHolder(t, ps)
	survivor := ps[1-holder]

	created := createdIDs(openEvents(t, survivor.gateway, "acme"))
	tok := token(t, "acme", auth.ScopeCallsRead)
	before := map[string]bool{}
	for _, id := range ids(t, walkMirror(t, []*gateway{survivor.gateway}, tok, "limit=1000", nil)) {
		before[id] = true
	}

	held, release := up.gate.arm(t, true, acmeCalls)
	awaitHeld(t, held, 15*time.Second, "the next follow (every 5 s)")
	ps[holder].kill(t)
	killed := time.Now()
	release()
	awaitTakeover(t, []*replicaProcess{survivor}, killed)

	got := checkMirrorHoldsEveryCallOnce(t, survivor.gateway, up.pw)
	want := map[string]bool{}
	for id := range got {
		if !before[id] {
			want[id] = true
		}
	}
	if len(want) == 0 {
		t.Fatal("no call arrived across the kill: the test proves nothing")
	}
	awaitAnnounced(t, created, want, 20*time.Second)
}

// createdIDs reads stream in the background and sends the call id of
// each call.created on the channel it returns, closed when the stream ends.
func createdIDs(stream *sseReader) <-chan string {
	created := make(chan string, 4096)
	go func() {
		defer close(created)
		for {
			e, err := stream.next()
			if err != nil {
				return
			}
			if e.typ == "call.created" {
				var c struct{ ID string }
				_ = json.Unmarshal(e.data.Data, &c)
				created <- c.ID
			}
		}
	}()
	return created
}

// awaitAnnounced waits within for a call.created of every call in want
// to come on created, failing t with those that never did.
func awaitAnnounced(t *testing.T, created <-chan string, want map[string]bool, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for len(want) > 0 {
		select {
		case id, ok := <-created:
			if !ok {
				t.Fatalf("the survivor's stream ended with %d new calls never announced: %v", len(want), want)
			}
			delete(want, id)
		case <-deadline:
			t.Fatalf("%d calls the mirror gained across the kill were never announced as call.created: %v", len(want), want)
		}
	}
}

// TestAnActionWhoseReplicaIsKilledMidPOSTIsNeverSentAgain sends a keyed
// text through one replica; CallWidget holds the request and the replica
// is killed. The same key on another replica answers 409 while the
// claim's lease runs, then 504 upstream-timeout with "retriable": false
// (the text may have gone out), never by sending it again; another body
// with the key is refused; CallWidget received the text once.
func TestAnActionWhoseReplicaIsKilledMidPOSTIsNeverSentAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildGateway(t)
	redisURL, prefix := testRedis(t)
	up := startUpstreams(t)
	gate := &holdGate{}
	cw := httptest.NewServer(gate.wrap(up.cw))
	t.Cleanup(cw.Close)
	up.cwURL = cw.URL + "/api/v1"
	env := replicaEnv(t, up, redisURL, prefix)
	const lease = 8 * time.Second
	env["SWITCHBOARD_IDEMPOTENCY_LEASE"] = lease.String()
	a, b := startReplicaProcess(t, bin, env), startReplicaProcess(t, bin, env)

	var sent sync.Mutex
	texts := 0
	held, release := gate.arm(t, true, func(r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/share/new-sms") {
			sent.Lock()
			texts++
			sent.Unlock()
			return true
		}
		return false
	})
	tok := token(t, "acme", auth.ScopeMessagesSend)
	data, _ := up.cw.Dataset("ops@acme.example")
	body := `{"phone":"+17862455063","install":"` + data.Installs[0].Number + `","message":"sent once"}`
	go func() {
		req, _ := http.NewRequest(http.MethodPost, a.URL+"/v1/messages", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Idempotency-Key", "killed-mid-post")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	awaitHeld(t, held, 20*time.Second, "the text's POST to CallWidget")
	a.kill(t)
	killed := time.Now()
	release()

	// The text reaches CallWidget's handler once the hold ends.
	clocktest.Eventually(t, 5*time.Second, "CallWidget performs the held text", func() bool {
		return len(actionsFor(up.cw, "/share/new-sms")) == 1
	})

	resp, rb := b.post(t, "/v1/messages", tok, body, "Idempotency-Key", "killed-mid-post")
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("retry while the dead replica's claim runs: %d %s, want 409 (the lease is %v)", resp.StatusCode, rb, lease)
	}
	problem(t, resp, rb, http.StatusConflict, "idempotency-key-in-use")

	// Retried every 250 ms (well within the tenant's inbound limit) until
	// the claim's lease runs out.
	deadline := time.Now().Add(lease + 5*time.Second)
	for {
		resp, rb = b.post(t, "/v1/messages", tok, body, "Idempotency-Key", "killed-mid-post")
		if resp.StatusCode != http.StatusConflict {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still 409 %v after the SIGKILL, want the lease (%v) run out", time.Since(killed), lease)
		}
		time.Sleep(250 * time.Millisecond)
	}
	p := problem(t, resp, rb, http.StatusGatewayTimeout, "upstream-timeout")
	t.Logf("the key answered as uncertain %v after the SIGKILL", time.Since(killed).Round(100*time.Millisecond))
	if p["retriable"] != false {
		t.Fatalf("retriable: got %v, want false", p["retriable"])
	}
	t.Run("the uncertain outcome is what the key keeps answering", func(t *testing.T) {
		resp, rb := b.post(t, "/v1/messages", tok, body, "Idempotency-Key", "killed-mid-post")
		if p := problem(t, resp, rb, http.StatusGatewayTimeout, "upstream-timeout"); p["retriable"] != false {
			t.Fatalf("retriable: got %v, want false", p["retriable"])
		}
	})
	t.Run("another body with the key is refused", func(t *testing.T) {
		other := strings.Replace(body, "sent once", "sent twice", 1)
		resp, rb := b.post(t, "/v1/messages", tok, other, "Idempotency-Key", "killed-mid-post")
		problem(t, resp, rb, http.StatusUnprocessableEntity, "idempotency-key-reused")
	})
	t.Run("CallWidget received the text once", func(t *testing.T) {
		sent.Lock()
		n := texts
		sent.Unlock()
		if n != 1 || len(actionsFor(up.cw, "/share/new-sms")) != 1 {
			t.Fatalf("texts received: %d (performed %d), want 1", n, len(actionsFor(up.cw, "/share/new-sms")))
		}
	})
}

// TestAWebhookAttemptWhoseReplicaIsKilledIsMadeAgainByAnother runs the
// binary on Redis with a live account and a webhook endpoint that holds
// its first request; a second replica starts, and the first, whose
// attempt is in flight, is killed. The second takes the attempt over
// (after it was idle for the dispatcher's takeover time) and delivers the
// same event, same webhook-id, correctly signed; the events after it are
// delivered too.
func TestAWebhookAttemptWhoseReplicaIsKilledIsMadeAgainByAnother(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildGateway(t)
	redisURL, prefix := testRedis(t)
	up := startCrashUpstream(t, mirrorAccountCalls, 300*time.Millisecond)

	var mu sync.Mutex
	heldID := ""
	heldGone := make(chan struct{}) // the held request's client went away
	holding := make(chan string, 1)
	releaseHold := make(chan struct{})
	t.Cleanup(func() {
		select {
		case <-releaseHold:
		default:
			close(releaseHold)
		}
	})
	rc := newWebhookReceiver(t, 7, func(int) int { return http.StatusNoContent })
	inner := rc.Config.Handler
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		first := heldID == ""
		if first {
			heldID = r.Header.Get("webhook-id")
		}
		mu.Unlock()
		if first {
			_, _ = io.ReadAll(r.Body) // so that the context ends when the client goes away
			holding <- heldID
			select {
			case <-r.Context().Done():
				close(heldGone)
			case <-releaseHold:
			}
			return // the attempt is never answered
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	env := up.env(t, redisURL, prefix, "    webhooks:\n", fmt.Sprintf("      - {url: '%s/hook', secret: '%s'}\n", front.URL, rc.secret))
	a := startReplicaProcess(t, bin, env)
	waitMirrored(t, a.gateway, "acme")

	var id string
	select {
	case id = <-holding:
	case <-time.After(20 * time.Second):
		t.Fatal("no webhook attempt within 20 s of follows")
	}
	attempted := time.Now()
	b := startReplicaProcess(t, bin, env)
	select {
	case <-heldGone:
		t.Fatal("the first replica's attempt ended before it was killed: the test proves nothing")
	default:
	}
	a.kill(t)
	select {
	case <-heldGone:
	case <-time.After(10 * time.Second):
		t.Fatal("the killed replica's attempt is still connected 10 s after the SIGKILL")
	}

	clocktest.Eventually(t, 60*time.Second, "the other replica makes the killed replica's attempt again", func() bool {
		ids, _, _ := rc.got()
		return slices.Contains(ids, id)
	})
	t.Logf("event %s delivered %v after the killed attempt began", id, time.Since(attempted).Round(100*time.Millisecond))
	ids, _, bad := rc.got()
	if bad != 0 {
		t.Fatalf("%d deliveries did not verify", bad)
	}
	if n := strings.Count(strings.Join(ids, ","), id); n != 1 {
		t.Fatalf("event %s delivered %d times after the killed attempt, want once", id, n)
	}
	clocktest.Eventually(t, 20*time.Second, "events recorded after the kill are delivered too", func() bool {
		ids, _, _ := rc.got()
		for _, other := range ids {
			if idBefore(id, other) {
				return true
			}
		}
		return false
	})
	resp, body := b.get(t, "/v1/webhooks", token(t, "acme", auth.ScopeCallsRead))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"last_success":{`) {
		t.Fatalf("GET /v1/webhooks on the survivor: %d %s, want a last success", resp.StatusCode, body)
	}
}
