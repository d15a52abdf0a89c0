package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestQueuedSpansReachTheCollectorOnSIGTERM runs the real binary with only
// the standard OTEL_* variables pointing at an OTLP/HTTP receiver, and a
// batch delay far longer than the test: the spans of a request can only
// arrive through the flush on shutdown. Every line on stderr stays JSON.
func TestQueuedSpansReachTheCollectorOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	var (
		mu     sync.Mutex
		bodies [][]byte
		paths  []string
	)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies, paths = append(bodies, b), append(paths, r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()

	var stderr bytes.Buffer
	cmd, base, tok := startSandboxBinary(t, buildGateway(t), &stderr,
		"OTEL_EXPORTER_OTLP_ENDPOINT="+collector.URL,
		"OTEL_SERVICE_NAME=switchboard-otlp-test",
		"OTEL_BSP_SCHEDULE_DELAY=600000")

	req, _ := http.NewRequest(http.MethodGet, base+"/v1/tags", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/tags: got status %d, want 200", resp.StatusCode)
	}
	mu.Lock()
	early := len(bodies)
	mu.Unlock()
	if early != 0 {
		t.Fatalf("got %d exports before shutdown, want none with a 10-minute batch delay", early)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: got %v, want status 0; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("process did not exit after SIGTERM")
	}

	mu.Lock()
	defer mu.Unlock()
	all := bytes.Join(bodies, nil)
	if len(paths) == 0 || paths[0] != "/v1/traces" {
		t.Fatalf("got exports to %v, want /v1/traces", paths)
	}
	for _, want := range []string{"GET /v1/tags", "callwidget tags", "switchboard-otlp-test", "switchboard.tenant"} {
		if !bytes.Contains(all, []byte(want)) {
			t.Errorf("the exported spans lack %q", want)
		}
	}
	if bytes.Contains(all, []byte(tok)) || bytes.Contains(all, []byte(strings.Split(tok, ".")[2])) {
		t.Error("the exported spans carry the caller's token")
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		if line != "" && !json.Valid([]byte(line)) {
			t.Errorf("stderr line is not JSON: %q", line)
		}
	}
}
