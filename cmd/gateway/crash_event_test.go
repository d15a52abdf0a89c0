package main

import (
	"bytes"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// killProxy is a TCP proxy between one replica and Redis that SIGKILLs the
// replica, once armed, when the replica sends a command holding marker:
// the process dies at that exact point of its work, and the command never
// reaches Redis.
type killProxy struct {
	ln     net.Listener
	target string
	marker []byte

	pid    atomic.Int64
	armed  atomic.Bool
	mu     sync.Mutex
	killed []byte // the bytes of the command the replica died sending, from marker on
	fired  chan struct{}
}

func startKillProxy(t *testing.T, target string, marker []byte) *killProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &killProxy{ln: ln, target: target, marker: marker, fired: make(chan struct{})}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

// url is redisURL with the proxy in place of its server.
func (p *killProxy) url(t *testing.T, redisURL string) string {
	t.Helper()
	u, err := url.Parse(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.ln.Addr().String()
	return u.String()
}

func (p *killProxy) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	go func() { _, _ = io.Copy(client, server) }()
	buf := make([]byte, 64<<10)
	var tail []byte // the end of what came before, for a marker across reads
	for {
		n, err := client.Read(buf)
		if n > 0 {
			seen := append(tail, buf[:n]...)
			if i := bytes.Index(seen, p.marker); i >= 0 && p.armed.CompareAndSwap(true, false) {
				_ = syscall.Kill(int(p.pid.Load()), syscall.SIGKILL)
				p.mu.Lock()
				p.killed = append([]byte(nil), seen[i:]...)
				p.mu.Unlock()
				close(p.fired)
				return // not forwarded: the process is gone
			}
			if _, err := server.Write(buf[:n]); err != nil {
				return
			}
			tail = append(tail[:0], seen[max(0, len(seen)-len(p.marker)):]...)
		}
		if err != nil {
			return
		}
	}
}

// TestAReplicaKilledBetweenMirroringACallAndRecordingItsEventLosesNoEvent
// kills the replica holding the mirror's lease (SIGKILL, the real process)
// at the one instant a crash used to lose an event: its follow has written
// a new call to the mirror and it is sending that call's call.created to
// the event log. A Redis proxy kills it as the command leaves it, so the
// event is not recorded. The other replica takes the lease over, finds the
// change still pending in the mirror's store, and records it: a stream
// opened on it before the kill receives call.created for that call, and
// for every other call the mirror gained.
func TestAReplicaKilledBetweenMirroringACallAndRecordingItsEventLosesNoEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildGateway(t)
	redisURL, prefix := testRedis(t)
	u, err := url.Parse(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	// The event's type is its own bulk string of the append command.
	proxy := startKillProxy(t, u.Host, []byte("$12\r\ncall.created\r\n"))
	up := startCrashUpstream(t, mirrorAccountCalls, 300*time.Millisecond)
	env := up.env(t, redisURL, prefix)
	proxied := map[string]string{}
	for k, v := range env {
		proxied[k] = v
	}
	proxied["SWITCHBOARD_REDIS_URL"] = proxy.url(t, redisURL)

	// The proxied replica starts first and takes the lease.
	doomed := startReplicaProcess(t, bin, proxied)
	proxy.pid.Store(int64(doomed.pid))
	waitMirrored(t, doomed.gateway, "acme")
	survivor := startReplicaProcess(t, bin, env)
	waitMirrored(t, survivor.gateway, "acme")
	if holder := leaseHolder(t, []*replicaProcess{doomed, survivor}); holder != 0 {
		t.Fatal("the replica behind the proxy does not hold the lease")
	}

	created := createdIDs(openEvents(t, survivor.gateway, "acme"))
	before := map[string]bool{}
	for _, id := range ids(t, walkMirror(t, []*gateway{survivor.gateway}, token(t, "acme", "calls:read"), "limit=1000", nil)) {
		before[id] = true
	}

	proxy.armed.Store(true)
	select {
	case <-proxy.fired:
	case <-time.After(20 * time.Second):
		t.Fatal("no call.created was recorded within 20 s of a live account's follows")
	}
	killed := time.Now()
	select {
	case <-doomed.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the replica still runs 10 s after the SIGKILL")
	}
	proxy.mu.Lock()
	cmd := proxy.killed
	proxy.mu.Unlock()
	var killedID string
	if i := bytes.Index(cmd, []byte(`{"id":"`)); i >= 0 {
		rest := cmd[i+len(`{"id":"`):]
		if j := bytes.IndexByte(rest, '"'); j >= 0 {
			killedID = string(rest[:j])
		}
	}
	if killedID == "" {
		t.Fatalf("the command the replica died sending names no call: %.200q", cmd)
	}
	t.Logf("killed while recording call.created of call %s", killedID)
	awaitTakeover(t, []*replicaProcess{survivor}, killed)

	got := checkMirrorHoldsEveryCallOnce(t, survivor.gateway, up.pw)
	if !got[killedID] {
		t.Fatalf("call %s, written to the mirror before the kill, is not held", killedID)
	}
	want := map[string]bool{killedID: true}
	for id := range got {
		if !before[id] {
			want[id] = true
		}
	}
	t.Logf("%d calls gained across the kill, call %s among them", len(want), killedID)
	awaitAnnounced(t, created, want, 30*time.Second)
}
