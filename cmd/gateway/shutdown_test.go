package main

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
	bin := filepath.Join(t.TempDir(), "gateway")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"SWITCHBOARD_SANDBOX=true", "SWITCHBOARD_ADDR=127.0.0.1:0",
		"SWITCHBOARD_SANDBOX_LATENCY=700ms", "SWITCHBOARD_LOG_LEVEL=warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	var base, tok string
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<16), 1<<16)
	urlRe := regexp.MustCompile(`sandbox mode on (http://\S+)`)
	tokRe := regexp.MustCompile(`^eyJ[A-Za-z0-9._-]+$`)
	for sc.Scan() && (base == "" || tok == "") {
		if m := urlRe.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
		if tokRe.MatchString(sc.Text()) {
			tok = sc.Text()
		}
	}
	if base == "" || tok == "" {
		t.Fatalf("banner not read: base %q token %q", base, tok)
	}
	go func() { // keep draining stdout
		for sc.Scan() {
		}
	}()

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
