package redistest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster shape and timing. A node timeout of one second lets a killed
// master's replica take over within a few seconds.
const (
	clusterMasters     = 3
	clusterNodes       = 2 * clusterMasters // one replica each
	clusterNodeTimeout = 1000 * time.Millisecond
	clusterStartWait   = 30 * time.Second
	clusterChangeWait  = 30 * time.Second
)

// RedisCluster is a Redis Cluster of three masters with one replica each,
// on loopback ports, run by redis-server processes of its own.
type RedisCluster struct {
	dir   string
	mu    sync.Mutex
	nodes []*clusterNode
}

type clusterNode struct {
	addr   string
	dir    string
	cmd    *exec.Cmd
	done   chan struct{} // closed when the process has exited
	killed bool
}

var shared struct {
	once sync.Once
	c    *RedisCluster
	err  error
}

// Cluster returns a client of the Redis Cluster shared by every test of the
// test binary (started on first use) and a fresh key prefix. The keys under
// the prefix are deleted and the client closed when tb ends. The package's
// TestMain must stop the cluster with Main (its processes also die with the
// test binary). Without redis-server and redis-cli, tb is skipped, or fails
// when CI=true.
//
// Tests that fail nodes over must use StartCluster instead: the shared
// cluster keeps its topology.
func Cluster(tb testing.TB) (*redis.ClusterClient, string) {
	tb.Helper()
	requireClusterTools(tb)
	shared.once.Do(func() {
		shared.c, shared.err = startCluster()
	})
	if shared.err != nil {
		tb.Fatalf("starting the shared Redis Cluster: %v", shared.err)
	}
	return shared.c.client(tb)
}

// Main runs the tests of a package that uses Cluster and then stops the
// shared cluster: call it from TestMain as os.Exit(redistest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if shared.c != nil {
		shared.c.stop()
	}
	return code
}

// StartCluster starts a Redis Cluster of tb's own, stopped (its processes
// killed by pid, its directory removed) when tb ends. Use it for tests that
// fail nodes over; others share one with Cluster.
func StartCluster(tb testing.TB) *RedisCluster {
	tb.Helper()
	requireClusterTools(tb)
	c, err := startCluster()
	if err != nil {
		tb.Fatalf("starting a Redis Cluster: %v", err)
	}
	tb.Cleanup(c.stop)
	return c
}

// Client returns a client of c and a fresh key prefix, both cleaned up when
// tb ends.
func (c *RedisCluster) Client(tb testing.TB) (*redis.ClusterClient, string) {
	tb.Helper()
	return c.client(tb)
}

// Addrs lists the nodes still running, masters and replicas.
func (c *RedisCluster) Addrs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, n := range c.nodes {
		if !n.killed {
			out = append(out, n.addr)
		}
	}
	return out
}

// URL is c as a go-redis cluster URL (redis://first?addr=second&addr=...),
// the form the gateway's redisconn.Open takes.
func (c *RedisCluster) URL() string {
	addrs := c.Addrs()
	var b strings.Builder
	b.WriteString("redis://" + addrs[0])
	for i, a := range addrs[1:] {
		if i == 0 {
			b.WriteString("?")
		} else {
			b.WriteString("&")
		}
		b.WriteString("addr=" + a)
	}
	return b.String()
}

// shardWithReplica returns the slot of key, its master and a running
// replica of it, failing tb when there is none.
func (c *RedisCluster) shardWithReplica(ctx context.Context, tb testing.TB, key string) (slot int, master, replica *clusterNode) {
	tb.Helper()
	slot, master, replica, err := c.shardOf(ctx, key)
	if err == nil && replica == nil {
		err = fmt.Errorf("master %s of slot %d has no running replica", master.addr, slot)
	}
	if err != nil {
		tb.Fatalf("finding the shard of %q: %v", key, err)
	}
	return slot, master, replica
}

// FailoverGraceful runs CLUSTER FAILOVER on the replica of the master that
// owns key's slot, and waits until the two swapped roles and every node sees
// the cluster ok with the slot on the new master.
func (c *RedisCluster) FailoverGraceful(tb testing.TB, key string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterChangeWait)
	defer cancel()
	slot, master, replica := c.shardWithReplica(ctx, tb, key)
	rdb := nodeClient(replica.addr)
	err := rdb.Do(ctx, "CLUSTER", "FAILOVER").Err()
	_ = rdb.Close()
	if err != nil {
		tb.Fatalf("CLUSTER FAILOVER on %s: %v", replica.addr, err)
	}
	if err := c.waitOwner(ctx, slot, replica.addr, master.addr); err != nil {
		tb.Fatalf("failing slot %d over from %s to %s: %v", slot, master.addr, replica.addr, err)
	}
}

// KillMaster kills (SIGKILL) the master that owns key's slot and waits until
// its replica was promoted and every remaining node sees the cluster ok. It
// returns the address of the new master.
func (c *RedisCluster) KillMaster(tb testing.TB, key string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clusterChangeWait)
	defer cancel()
	slot, master, replica := c.shardWithReplica(ctx, tb, key)
	c.kill(master)
	if err := c.waitOwner(ctx, slot, replica.addr, ""); err != nil {
		tb.Fatalf("promoting %s after killing %s: %v", replica.addr, master.addr, err)
	}
	return replica.addr
}

// MasterOf is the address of the master that now owns key's slot.
func (c *RedisCluster) MasterOf(tb testing.TB, key string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, m, _, err := c.shardOf(ctx, key)
	if err != nil {
		tb.Fatalf("finding the shard of %q: %v", key, err)
	}
	return m.addr
}

func (c *RedisCluster) client(tb testing.TB) (*redis.ClusterClient, string) {
	tb.Helper()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	// Load the slot map and connect to every node now, as Open's PING does
	// for a single server: a test's first calls then do not all load it at
	// once, each within its own short timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	err := rdb.ForEachShard(ctx, func(ctx context.Context, n *redis.Client) error { return n.Ping(ctx).Err() })
	cancel()
	if err != nil {
		_ = rdb.Close()
		tb.Fatalf("connecting to the Redis Cluster: %v", err)
	}
	prefix := "sbtest:" + rand.Text()[:12] + ":"
	tb.Cleanup(func() {
		defer rdb.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		keys, err := ClusterKeys(ctx, rdb, prefix)
		if err != nil {
			tb.Errorf("scanning %s*: %v", prefix, err)
		}
		// One DEL a key: the keys are spread over slots, and a pipeline of a
		// cluster client sends each to its own master.
		_, err = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range keys {
				p.Del(ctx, k)
			}
			return nil
		})
		if err != nil {
			tb.Errorf("deleting %s*: %v", prefix, err)
		}
	})
	return rdb, prefix
}

// ClusterKeys lists every key under prefix on every master of rdb.
func ClusterKeys(ctx context.Context, rdb *redis.ClusterClient, prefix string) ([]string, error) {
	var mu sync.Mutex
	var out []string
	err := rdb.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		keys, err := Keys(ctx, m, prefix)
		mu.Lock()
		out = append(out, keys...)
		mu.Unlock()
		return err
	})
	return out, err
}

// requireClusterTools skips tb (fails it when CI=true) without redis-server
// and redis-cli.
func requireClusterTools(tb testing.TB) {
	tb.Helper()
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("CI") == "true" {
				tb.Fatalf("%s not found in CI (Debian package redis-server): %v", bin, err)
			}
			tb.Skipf("%s not found (%v); install redis-server to run the Redis Cluster tests", bin, err)
		}
	}
}

func startCluster() (c *RedisCluster, err error) {
	dir, err := os.MkdirTemp("", "sbcluster-")
	if err != nil {
		return nil, err
	}
	c = &RedisCluster{dir: dir}
	defer func() {
		if err != nil {
			c.stop()
		}
	}()
	ports, err := freePorts(2 * clusterNodes)
	if err != nil {
		return nil, err
	}
	for i := range clusterNodes {
		n, err := startNode(dir, i, ports[2*i], ports[2*i+1])
		if err != nil {
			return nil, err
		}
		c.nodes = append(c.nodes, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterStartWait)
	defer cancel()
	for _, n := range c.nodes {
		if err := waitPing(ctx, n); err != nil {
			return nil, err
		}
	}
	args := []string{"--cluster", "create"}
	args = append(args, c.Addrs()...)
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("redis-cli --cluster create: %v: %s", err, lastLines(out, 5))
	}
	if err := c.waitOK(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func startNode(dir string, i, port, busPort int) (*clusterNode, error) {
	nodeDir := filepath.Join(dir, strconv.Itoa(i))
	if err := os.Mkdir(nodeDir, 0o700); err != nil {
		return nil, err
	}
	cmd := exec.Command("redis-server",
		"--port", strconv.Itoa(port),
		"--cluster-port", strconv.Itoa(busPort),
		"--bind", "127.0.0.1",
		"--dir", nodeDir,
		"--cluster-enabled", "yes",
		"--cluster-config-file", filepath.Join(nodeDir, "nodes.conf"),
		"--cluster-node-timeout", strconv.Itoa(int(clusterNodeTimeout/time.Millisecond)),
		// A replica may take over however long its link was down: the
		// tests want the failover, not the data-age guard.
		"--cluster-replica-validity-factor", "0",
		// A replica's first full sync starts at once, not after the
		// default 5 s wait for more replicas.
		"--repl-diskless-sync-delay", "0",
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--logfile", filepath.Join(nodeDir, "redis.log"),
	)
	n := &clusterNode{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dir: nodeDir, cmd: cmd, done: make(chan struct{})}
	if err := spawn(cmd); err != nil {
		return nil, fmt.Errorf("starting redis-server on %s: %w", n.addr, err)
	}
	go func() {
		_ = cmd.Wait()
		close(n.done)
	}()
	return n, nil
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

func nodeClient(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1, DialTimeout: time.Second})
}

func waitPing(ctx context.Context, n *clusterNode) error {
	for {
		select {
		case <-n.done:
			return fmt.Errorf("redis-server on %s exited: %s", n.addr, n.logTail())
		default:
		}
		// A bare dial first: a client's pool would log every refusal.
		if conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", n.addr); err == nil {
			_ = conn.Close()
			rdb := nodeClient(n.addr)
			err = rdb.Ping(ctx).Err()
			_ = rdb.Close()
			if err == nil {
				return nil
			}
		}
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return fmt.Errorf("redis-server on %s did not answer: %w", n.addr, err)
		}
	}
}

func (n *clusterNode) logTail() string {
	b, _ := os.ReadFile(filepath.Join(n.dir, "redis.log"))
	return lastLines(b, 5)
}

func lastLines(b []byte, k int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > k {
		lines = lines[len(lines)-k:]
	}
	return strings.Join(lines, " | ")
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// nodeView is one line of CLUSTER NODES.
type nodeView struct {
	id, addr, masterID string
	master, failing    bool
	slots              [][2]int
}

func parseClusterNodes(s string) []nodeView {
	var out []nodeView
	for line := range strings.SplitSeq(strings.TrimSpace(s), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		v := nodeView{id: f[0], masterID: f[3]}
		v.addr, _, _ = strings.Cut(f[1], "@")
		for flag := range strings.SplitSeq(f[2], ",") {
			switch flag {
			case "master":
				v.master = true
			case "fail", "fail?", "noaddr", "handshake":
				v.failing = true
			}
		}
		for _, r := range f[8:] {
			if strings.HasPrefix(r, "[") { // a slot being migrated
				continue
			}
			lo, hi, ok := strings.Cut(r, "-")
			a, err1 := strconv.Atoi(lo)
			b := a
			var err2 error
			if ok {
				b, err2 = strconv.Atoi(hi)
			}
			if err1 == nil && err2 == nil {
				v.slots = append(v.slots, [2]int{a, b})
			}
		}
		out = append(out, v)
	}
	return out
}

func (v nodeView) owns(slot int) bool {
	for _, r := range v.slots {
		if slot >= r[0] && slot <= r[1] {
			return true
		}
	}
	return false
}

func (c *RedisCluster) nodeAt(addr string) *clusterNode {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodes {
		if n.addr == addr {
			return n
		}
	}
	return nil
}

// shardOf finds key's slot, the master owning it and that master's replica
// (a running one; nil when there is none), as a running node sees them.
func (c *RedisCluster) shardOf(ctx context.Context, key string) (int, *clusterNode, *clusterNode, error) {
	var lastErr error
	for _, addr := range c.Addrs() {
		rdb := nodeClient(addr)
		slot, err := rdb.ClusterKeySlot(ctx, key).Result()
		var nodes string
		if err == nil {
			nodes, err = rdb.ClusterNodes(ctx).Result()
		}
		_ = rdb.Close()
		if err != nil {
			lastErr = err
			continue
		}
		views := parseClusterNodes(nodes)
		for _, m := range views {
			if !m.master || m.failing || !m.owns(int(slot)) {
				continue
			}
			mn := c.nodeAt(m.addr)
			if mn == nil {
				return 0, nil, nil, fmt.Errorf("master %s of slot %d is not a node of this cluster", m.addr, slot)
			}
			for _, r := range views {
				if r.masterID != m.id || r.failing {
					continue
				}
				if rn := c.nodeAt(r.addr); rn != nil && !rn.killed {
					return int(slot), mn, rn, nil
				}
			}
			return int(slot), mn, nil, nil
		}
		lastErr = fmt.Errorf("%s knows no master of slot %d", addr, slot)
	}
	return 0, nil, nil, lastErr
}

// waitOwner waits until every running node sees the cluster ok, all slots
// covered, slot owned by newMaster and, when oldMaster is set, oldMaster a
// replica again; newMaster's replication must be settled.
func (c *RedisCluster) waitOwner(ctx context.Context, slot int, newMaster, oldMaster string) error {
	var why error
	for {
		why = c.checkOwner(ctx, slot, newMaster, oldMaster)
		if why == nil {
			return nil
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return fmt.Errorf("%w (last: %v)", err, why)
		}
	}
}

func (c *RedisCluster) checkOwner(ctx context.Context, slot int, newMaster, oldMaster string) error {
	if err := c.checkOK(ctx); err != nil {
		return err
	}
	for _, addr := range c.Addrs() {
		rdb := nodeClient(addr)
		nodes, err := rdb.ClusterNodes(ctx).Result()
		_ = rdb.Close()
		if err != nil {
			return err
		}
		for _, v := range parseClusterNodes(nodes) {
			if v.master && !v.failing && v.owns(slot) && v.addr != newMaster {
				return fmt.Errorf("%s still sees slot %d on %s", addr, slot, v.addr)
			}
			if oldMaster != "" && v.addr == oldMaster && v.master {
				return fmt.Errorf("%s still sees %s as a master", addr, oldMaster)
			}
		}
	}
	return nil
}

// waitOK waits until every running node sees the cluster ok with all slots
// covered, all nodes known and every replica linked to its master.
func (c *RedisCluster) waitOK(ctx context.Context) error {
	for {
		why := c.checkOK(ctx)
		if why == nil {
			return nil
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return fmt.Errorf("cluster not ok: %w (last: %v)", err, why)
		}
	}
}

func (c *RedisCluster) checkOK(ctx context.Context) error {
	for _, addr := range c.Addrs() {
		rdb := nodeClient(addr)
		info, err := rdb.ClusterInfo(ctx).Result()
		var repl string
		if err == nil {
			repl, err = rdb.Info(ctx, "replication").Result()
		}
		_ = rdb.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", addr, err)
		}
		if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_slots_ok:16384") {
			return fmt.Errorf("%s: cluster not ok yet", addr)
		}
		if strings.Contains(repl, "role:slave") && !strings.Contains(repl, "master_link_status:up") {
			return fmt.Errorf("%s: replica not linked yet", addr)
		}
	}
	return nil
}

func (c *RedisCluster) kill(n *clusterNode) {
	c.mu.Lock()
	n.killed = true
	c.mu.Unlock()
	if n.cmd.Process != nil {
		_ = n.cmd.Process.Kill()
		<-n.done
	}
}

// stop kills every process of c by its pid and removes its directory.
func (c *RedisCluster) stop() {
	c.mu.Lock()
	nodes := append([]*clusterNode(nil), c.nodes...)
	c.mu.Unlock()
	for _, n := range nodes {
		c.kill(n)
	}
	_ = os.RemoveAll(c.dir)
}
