package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/clocktest"
)

// vmHWM returns the peak resident set size of process pid, in KiB.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	m := regexp.MustCompile(`(?m)^VmHWM:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		t.Skip("no VmHWM in /proc/<pid>/status")
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return n
}

// metricValue reads one unlabelled sample of the gateway's /metrics.
func metricValue(t *testing.T, base, name string) float64 {
	t.Helper()
	body, err := httpGet(base + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in /metrics", name)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// TestHostileStreamClientsKeepTheProcessSmall runs the real binary (sandbox
// mode: a mirrored account with a webhook): 50 streams that never read
// and a storm of 200 reconnections with old Last-Event-IDs. Its peak
// resident set stays small, and its goroutines and open streams return to
// what they were once the clients have gone.
func TestHostileStreamClientsKeepTheProcessSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	cmd, base, tok := startSandboxBinary(t, buildGateway(t), nil, "SWITCHBOARD_LOG_LEVEL=error")
	addr := strings.TrimPrefix(base, "http://")
	clocktest.Eventually(t, 30*time.Second, "the gateway answering", func() bool {
		_, err := httpGet(base + "/metrics")
		return err == nil
	})
	before := metricValue(t, base, "go_goroutines")
	startHWM := vmHWM(t, cmd.Process.Pid)

	open := func(lastID string) (net.Conn, error) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return nil, err
		}
		_ = c.(*net.TCPConn).SetReadBuffer(4096)
		hdr := ""
		if lastID != "" {
			hdr = "Last-Event-ID: " + lastID + "\r\n"
		}
		_, err = fmt.Fprintf(c, "GET /v1/events HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n%s\r\n", addr, tok, hdr)
		return c, err
	}
	var stalled []net.Conn
	for range 50 {
		c, err := open("")
		if err != nil {
			t.Fatal(err)
		}
		stalled = append(stalled, c)
	}
	// The storm: 20 at a time, each reads its answer's head and hangs up.
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	sem := make(chan struct{}, 20)
	for i := range 200 {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c, err := open([]string{"1-0", "0-0", "1000000000000-3"}[i%3])
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				errs <- err
				return
			}
			if resp.StatusCode != http.StatusOK {
				errs <- fmt.Errorf("reconnection %d: status %d", i, resp.StatusCode)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	peakStreams := metricValue(t, base, "switchboard_sse_clients")
	during := metricValue(t, base, "go_goroutines")
	for _, c := range stalled {
		c.Close()
	}
	clocktest.Eventually(t, 30*time.Second, "every stream closed and the goroutines back", func() bool {
		return metricValue(t, base, "switchboard_sse_clients") == 0 && metricValue(t, base, "go_goroutines") <= before+2
	})
	hwm := vmHWM(t, cmd.Process.Pid)
	t.Logf("peak RSS (VmHWM) %d KiB (%d KiB after start-up); goroutines %v before, %v with %v streams open, %v after",
		hwm, startHWM, before, during, peakStreams, metricValue(t, base, "go_goroutines"))
	// Generous: the process with its simulators takes a few tens of MiB.
	if hwm > 256<<10 {
		t.Errorf("peak RSS %d MiB, want under 256 MiB", hwm>>10)
	}
}
