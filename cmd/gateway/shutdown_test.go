package main

import (
	"net/http"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMFinishesInFlightRequestsThenExitsZero runs the real binary:
// a request is in flight (the sandbox upstreams answer slowly) when SIGTERM
// arrives; the request must complete and the process then exit 0.
func TestSIGTERMFinishesInFlightRequestsThenExitsZero(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	cmd, base, tok := startSandboxBinary(t, buildGateway(t), nil,
		"SWITCHBOARD_SANDBOX_LATENCY=700ms", "SWITCHBOARD_LOG_LEVEL=warn")

	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		req, _ := http.NewRequest("GET", base+"/v1/tags", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		resp.Body.Close()
		done <- result{status: resp.StatusCode}
	}()
	time.Sleep(300 * time.Millisecond) // the request is now waiting on the slow upstream
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	select {
	case r := <-done:
		if r.err != nil || r.status != 200 {
			t.Fatalf("in-flight request: got status %d err %v, want 200", r.status, r.err)
		}
		if elapsed := time.Since(start); elapsed < 700*time.Millisecond {
			t.Fatalf("request finished after %v, before the upstream could answer", elapsed)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("in-flight request did not finish")
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: got %v, want status 0", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("process did not exit after SIGTERM")
	}
}
