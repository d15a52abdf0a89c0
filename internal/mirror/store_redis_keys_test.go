package mirror

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/redistest"
)

// monitor starts MONITOR on a connection of its own (go-redis's Monitor
// shares a pooled connection) and returns its lines until t ends.
func monitor(t *testing.T) <-chan string {
	t.Helper()
	opt, err := redis.ParseURL(redistest.URL())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", opt.Addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dialing Redis for MONITOR: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if opt.Password != "" {
		fmt.Fprintf(conn, "AUTH %s %s\r\n", cmpOr(opt.Username, "default"), opt.Password)
	}
	fmt.Fprintf(conn, "MONITOR\r\n")
	rd := bufio.NewReader(conn)
	for { // wait for +OK: from here on every command is shown
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("starting MONITOR: %v", err)
		}
		if strings.HasPrefix(line, "+OK") {
			break
		}
		if strings.HasPrefix(line, "-") {
			t.Fatalf("starting MONITOR: %s", line)
		}
	}
	lines := make(chan string, 1024)
	stop := t.Context()
	go func() {
		defer close(lines)
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			select {
			case lines <- strings.TrimRight(strings.TrimPrefix(line, "+"), "\r\n"):
			case <-stop.Done():
				return
			}
		}
	}()
	return lines
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// monitorArg is one quoted argument of a MONITOR line.
var monitorArg = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// monitorLine splits a MONITOR line into its source ("lua" for a command a
// script ran) and its arguments.
func monitorLine(line string) (source string, args []string) {
	if i, j := strings.IndexByte(line, '['), strings.IndexByte(line, ']'); i >= 0 && j > i {
		if f := strings.Fields(line[i+1 : j]); len(f) == 2 {
			source = f[1]
		}
	}
	for _, q := range monitorArg.FindAllString(line, -1) {
		a, err := strconv.Unquote(q)
		if err != nil {
			a = q
		}
		args = append(args, a)
	}
	return source, args
}

// TestRedisScriptsTouchOnlyTheKeysTheyDeclare watches (MONITOR) every
// command the store's scripts run while calls are written, moved between
// indexes, trimmed and read, and checks that each key a script touches is
// one it declared in KEYS: what a Redis Cluster needs to route a script
// and what strict ones enforce.
func TestRedisScriptsTouchOnlyTheKeysTheyDeclare(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Open(t)
	lines := monitor(t)
	end := prefix + "monitor-end"

	var declared map[string]bool
	var scripts, checked int
	done := make(chan struct{})
	go func() {
		defer close(done)
		for line := range lines {
			source, args := monitorLine(line)
			if len(args) == 0 {
				continue
			}
			cmd := strings.ToLower(args[0])
			switch {
			case source != "lua" && (cmd == "evalsha" || cmd == "eval") && len(args) >= 3:
				n, _ := strconv.Atoi(args[2])
				declared = map[string]bool{}
				for _, k := range args[3:min(len(args), 3+n)] {
					declared[k] = true
				}
				if len(args) > 3 && strings.HasPrefix(args[3], prefix) {
					scripts++
				}
			case source == "lua" && len(args) >= 2 && strings.HasPrefix(args[1], prefix):
				checked++
				if !declared[args[1]] {
					t.Errorf("a script ran %s on %q, which it did not declare", cmd, strings.TrimPrefix(args[1], prefix))
				}
			case source != "lua" && cmd == "get" && len(args) == 2 && args[1] == end:
				return
			}
		}
	}()
	s := NewRedisStore(rdb, prefix)
	fence := holdLease(t, storeHarness{store: s}, "acct")
	history := suiteHistory()
	mustUpsertCalls(t, s, "acct", fence, history)
	moved := suiteCall("1003", histNow.Add(-3*time.Second), "1002", "Google Ads")
	mustUpsertCalls(t, s, "acct", fence, append(suiteHistory()[:3], moved, suiteCall("1004", histNow, "", "")))
	walkPages(t, s, "acct", Query{Limit: 7, CompanyID: "1001", CampaignName: "Facebook"})
	if err := s.Trim(ctx, "acct", fence, histNow.Add(-2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveState(ctx, "acct", fence, State{SyncedAt: histNow}); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFollowed(ctx, "acct", fence, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, "acct", fence); err != nil {
		t.Fatal(err)
	}
	rdb.Get(ctx, end)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("MONITOR never showed the end marker")
	}
	if scripts < 6 || checked < 100 {
		t.Errorf("saw %d scripts run %d commands on the account's keys, want the whole workload", scripts, checked)
	}
}

func TestRedisUpsertScriptRefusesAnIndexKeyItWasNotGiven(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Open(t)
	s := NewRedisStore(rdb, prefix)
	fence := holdLease(t, storeHarness{store: s}, "acct")
	b := s.base("acct")
	env, err := envelope(suiteCall("1", histNow, "1001", "Facebook"))
	if err != nil {
		t.Fatal(err)
	}
	// As if the call had moved to company 1001 after the keys were read.
	keys := []string{b + "lease", b + "calls", b + "t", b + "pending", b + companySuffix("1001")}
	got, err := luaUpsert.Run(ctx, rdb, keys, fence, b, "1", "1", env, "").Result()
	if err != nil || got != int64(-2) {
		t.Fatalf("upsert script without the campaign index key = %v, %v; want -2", got, err)
	}
	if n := mustCountCalls(t, s, "acct"); n != 0 {
		t.Errorf("the refused script wrote %d calls, want none", n)
	}
	if n, _ := rdb.Exists(ctx, b+"t", b+"pending", b+companySuffix("1001")).Result(); n != 0 {
		t.Errorf("the refused script left %d index keys, want none", n)
	}
}
