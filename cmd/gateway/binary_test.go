package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// buildGateway builds the real binary into t's temporary directory.
func buildGateway(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "gateway")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var (
	bannerURLLine   = regexp.MustCompile(`sandbox mode on (http://\S+)`)
	bannerTokenLine = regexp.MustCompile(`^eyJ[A-Za-z0-9._-]+$`)
)

// startSandboxBinary starts bin in sandbox mode on 127.0.0.1:0 with env
// added, its stderr to stderr (nil: discarded), and reads the banner's base
// URL and caller token from stdout, which it then keeps draining. The
// process is killed when t ends, if it is still running.
func startSandboxBinary(t *testing.T, bin string, stderr io.Writer, env ...string) (cmd *exec.Cmd, base, tok string) {
	t.Helper()
	cmd = exec.Command(bin)
	cmd.Env = append(append(os.Environ(), "SWITCHBOARD_SANDBOX=true", "SWITCHBOARD_ADDR=127.0.0.1:0"), env...)
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<16), 1<<16)
	for sc.Scan() && (base == "" || tok == "") {
		if m := bannerURLLine.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
		if bannerTokenLine.MatchString(sc.Text()) {
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
	return cmd, base, tok
}
