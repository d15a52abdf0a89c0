package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"switchboard/internal/auth"
)

// logLines parses every line of logs as one JSON object, failing on any
// that is not.
func logLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimRight(logs, "\n"), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("a log line is not one JSON object: %q", line)
			continue
		}
		out = append(out, rec)
	}
	return out
}

func TestEveryLogLineIsJSONIncludingTheRedisClients(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	env["SWITCHBOARD_REDIS_URL"] = "redis://127.0.0.1:1/0" // nothing listens there
	env["SWITCHBOARD_ENCRYPTION_KEY"] = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	g := startGateway(t, env)
	tok := token(t, "acme", auth.ScopeCampaignsRead)
	if resp, body := g.get(t, "/v1/companies", tok); resp.StatusCode != 200 {
		t.Fatalf("status %d with Redis down: %s", resp.StatusCode, body)
	}

	// /readyz pings Redis on every call and spends no budget.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(g.Logs.String(), `"msg":"redis client"`) && time.Now().Before(deadline) {
		if resp, _ := g.get(t, "/readyz", ""); resp.StatusCode != 503 {
			t.Fatalf("/readyz: got %d with Redis down, want 503", resp.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
	recs := logLines(t, g.Logs.String())
	var redisLines int
	for _, rec := range recs {
		if rec["msg"] == "redis client" {
			redisLines++
		}
	}
	if redisLines == 0 {
		t.Fatalf("no line of the Redis client's own in the log:\n%s", g.Logs)
	}
}

func TestAccessLogCarriesUpstreamTimings(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	tok := token(t, "acme", auth.ScopeCampaignsRead)

	miss, _ := g.get(t, "/v1/companies", tok, "X-Request-Id", "timing-miss")
	hit, _ := g.get(t, "/v1/companies", tok, "X-Request-Id", "timing-hit")
	if miss.Header.Get("X-Cache") != "MISS" || hit.Header.Get("X-Cache") != "HIT" {
		t.Fatalf("X-Cache: got %q then %q, want MISS then HIT", miss.Header.Get("X-Cache"), hit.Header.Get("X-Cache"))
	}
	access := map[string]map[string]any{}
	for _, rec := range logLines(t, g.Logs.String()) {
		if id, _ := rec["request_id"].(string); rec["msg"] == "request" && id != "" {
			access[id] = rec
		}
	}
	t.Run("a miss names its upstream request and its time", func(t *testing.T) {
		rec := access["timing-miss"]
		if rec == nil {
			t.Fatal("no access-log line for the miss")
		}
		if n, _ := rec["upstream_requests"].(float64); n != 1 {
			t.Errorf("upstream_requests: got %v, want 1", rec["upstream_requests"])
		}
		if ms, ok := rec["upstream_ms"].(float64); !ok || ms <= 0 {
			t.Errorf("upstream_ms: got %v, want a positive number", rec["upstream_ms"])
		}
		calls, _ := rec["upstream"].([]any)
		if len(calls) != 1 || !strings.HasPrefix(calls[0].(string), "GET /companies 200 ") {
			t.Errorf("upstream: got %v, want [GET /companies 200 …]", rec["upstream"])
		}
	})
	t.Run("a hit has no upstream fields", func(t *testing.T) {
		rec := access["timing-hit"]
		if rec == nil {
			t.Fatal("no access-log line for the hit")
		}
		if _, ok := rec["upstream_requests"]; ok {
			t.Errorf("a hit logs upstream_requests %v", rec["upstream_requests"])
		}
	})
}

func TestReportExitWritesOneJSONLine(t *testing.T) {
	var buf bytes.Buffer
	reportExit(&buf, errors.New("config: SWITCHBOARD_ADDR: not a host:port"))
	recs := logLines(t, buf.String())
	if len(recs) != 1 || recs[0]["level"] != "ERROR" || recs[0]["error"] != "config: SWITCHBOARD_ADDR: not a host:port" {
		t.Fatalf("got %q, want one ERROR line with the error", buf.String())
	}
}
