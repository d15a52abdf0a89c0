package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/auth"
)

// TestSIGHUPReloadsTheTenantsFileOfTheRunningBinary builds the real binary,
// rewrites its tenants file and sends it SIGHUP: the added tenant is served,
// the removed one refused; an invalid file is logged by field and ignored;
// /metrics counts both reloads. The process is stopped by its pid.
func TestSIGHUPReloadsTheTenantsFileOfTheRunningBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildGateway(t)
	up := startUpstreams(t)
	file := writeTenants(t, "", "tenants:\n"+up.tenantYAML("acme", "acme", "")+up.tenantYAML("beta", "beta", ""))
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "SWITCHBOARD_ADDR=127.0.0.1:0", "SWITCHBOARD_JWT_SECRET="+e2eSecret,
		"SWITCHBOARD_TENANTS_FILE="+file, "SWITCHBOARD_SANDBOX=false", "SWITCHBOARD_REDIS_URL=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	exited := make(chan error, 1)
	logs := &lockedBuffer{}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			logs.Write([]byte(sc.Text() + "\n"))
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("exit after SIGTERM: got %v, want status 0", err)
			}
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Error("process did not exit within 20s of SIGTERM")
		}
	})

	// logLine returns the n-th log line whose msg starts with prefix.
	logLine := func(prefix string, n int) map[string]any {
		var found map[string]any
		logs.waitFor(t, reloadTimeout, "log line "+prefix, func(s string) bool {
			seen := 0
			for _, l := range strings.Split(s, "\n") {
				var rec map[string]any
				if json.Unmarshal([]byte(l), &rec) == nil {
					if msg, _ := rec["msg"].(string); strings.HasPrefix(msg, prefix) {
						if seen++; seen == n {
							found = rec
							return true
						}
					}
				}
			}
			return false
		})
		return found
	}
	g := &gateway{URL: logLine("listening", 1)["url"].(string)}
	gamma := token(t, "gamma", auth.KnownScopes()...)
	if got := g.status(t, "/v1/tags", gamma); got != http.StatusForbidden {
		t.Fatalf("gamma before the reload: got %d, want 403", got)
	}

	writeTenants(t, file, "tenants:\n"+up.tenantYAML("acme", "acme", "")+up.tenantYAML("gamma", "beta", ""))
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	logLine("tenants file reloaded", 1)
	t.Run("an added tenant is served", func(t *testing.T) {
		if got := g.status(t, "/v1/tags", gamma); got != http.StatusOK {
			t.Fatalf("got %d, want 200", got)
		}
	})
	t.Run("a removed tenant is refused", func(t *testing.T) {
		if got := g.status(t, "/v1/tags", token(t, "beta", auth.KnownScopes()...)); got != http.StatusForbidden {
			t.Fatalf("got %d, want 403", got)
		}
	})

	writeTenants(t, file, "tenants:\n  - id: acme\n    surprise: true\n")
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	line := logLine("tenants file not reloaded", 1)
	t.Run("an invalid file is logged by field and ignored", func(t *testing.T) {
		if msg, _ := line["error"].(string); !strings.Contains(msg, "tenants[0].surprise") {
			t.Fatalf("error: got %q, want it to name tenants[0].surprise", msg)
		}
		if got := g.status(t, "/v1/tags", gamma); got != http.StatusOK {
			t.Fatalf("gamma after the invalid file: got %d, want 200", got)
		}
	})
	t.Run("the reloads are counted by outcome", func(t *testing.T) {
		got := g.scrape(t)
		for _, outcome := range []string{"applied", "rejected"} {
			if s := series("switchboard_config_reloads_total", "outcome", outcome); got[s] != 1 {
				t.Errorf("%s: got %v, want 1", s, got[s])
			}
		}
	})
}
