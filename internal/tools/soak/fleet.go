package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Replica timings.
const (
	startTimeout  = 20 * time.Second
	shutdownGrace = 5 * time.Second // the replicas' SWITCHBOARD_SHUTDOWN_TIMEOUT
	stopTimeout   = shutdownGrace + 5*time.Second
)

// buildGateway compiles ./cmd/gateway of the module at root into dir.
func buildGateway(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "gateway")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/gateway")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build gateway: %w\n%s", err, out)
	}
	return bin, nil
}

// moduleRoot is the directory of the go.mod the go command sees from here.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("module root: go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("module root: run from inside the switchboard module")
	}
	return filepath.Dir(gomod), nil
}

// replica is one gateway child process.
type replica struct {
	Name string
	URL  string // http://127.0.0.1:port
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{} // closed once the process has been waited for
	err  error         // the exit error, valid after done
}

// fleetConfig configures startFleet.
type fleetConfig struct {
	// Binary is the gateway executable.
	Binary string
	// N is the number of replicas.
	N int
	// Env is every replica's environment (SWITCHBOARD_ADDR is added).
	Env []string
	// Dir receives each replica's log, replica-<n>.log.
	Dir string
}

// startFleet starts cfg.N replicas and waits until each listens. On error
// the ones already started are stopped.
func startFleet(ctx context.Context, cfg fleetConfig) ([]*replica, error) {
	var out []*replica
	for i := range cfg.N {
		r, err := startReplica(ctx, cfg, fmt.Sprintf("r%d", i+1))
		if err != nil {
			stopFleet(out)
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// startReplica starts one replica on a free 127.0.0.1 port: the gateway
// picks it (SWITCHBOARD_ADDR=127.0.0.1:0) and logs it in its "listening"
// line, which is read from its stderr while the log file is written.
func startReplica(ctx context.Context, cfg fleetConfig, name string) (*replica, error) {
	logFile, err := os.Create(filepath.Join(cfg.Dir, "replica-"+name+".log"))
	if err != nil {
		return nil, fmt.Errorf("replica %s: %w", name, err)
	}
	cmd := exec.Command(cfg.Binary)
	cmd.Env = append(append([]string{}, cfg.Env...), "SWITCHBOARD_ADDR=127.0.0.1:0")
	cmd.Stdout = logFile
	cmd.SysProcAttr = childAttrs()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		logFile.Close()
		return nil, fmt.Errorf("replica %s: %w", name, err)
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("replica %s: start: %w", name, err)
	}
	r := &replica{Name: name, cmd: cmd, log: logFile, done: make(chan struct{})}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			_, _ = logFile.Write(append(line, '\n'))
			var rec struct{ Msg, URL string }
			if json.Unmarshal(line, &rec) == nil && rec.Msg == "listening" && rec.URL != "" {
				select {
				case urls <- rec.URL:
				default:
				}
			}
		}
		// Drain whatever the scanner refused (an over-long line) so the
		// child never blocks on a full pipe, then reap it.
		_, _ = logFile.ReadFrom(stderr)
		r.err = cmd.Wait()
		close(r.done)
	}()
	select {
	case r.URL = <-urls:
		return r, nil
	case <-r.done:
		logFile.Close()
		return nil, fmt.Errorf("replica %s exited before listening (%v); see %s", name, r.err, logFile.Name())
	case <-ctx.Done():
		r.stop()
		return nil, fmt.Errorf("replica %s: %w", name, ctx.Err())
	case <-time.After(startTimeout):
		r.stop()
		return nil, fmt.Errorf("replica %s did not listen within %s; see %s", name, startTimeout, logFile.Name())
	}
}

// Pid is the replica's process id.
func (r *replica) Pid() int { return r.cmd.Process.Pid }

// stop asks the replica to shut down gracefully (SIGTERM), kills it if it
// has not exited within stopTimeout, and returns its exit error (nil for a
// clean exit). It is safe to call more than once.
func (r *replica) stop() error {
	select {
	case <-r.done:
		return r.err
	default:
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(stopTimeout):
		_ = r.cmd.Process.Kill()
		<-r.done
		r.err = fmt.Errorf("killed after not exiting within %s of SIGTERM", stopTimeout)
	}
	_ = r.log.Close()
	return r.err
}

// stopFleet stops every replica concurrently and returns their exit errors
// in order.
func stopFleet(rs []*replica) []error {
	errs := make([]error, len(rs))
	done := make(chan struct{})
	for i, r := range rs {
		go func() {
			errs[i] = r.stop()
			done <- struct{}{}
		}()
	}
	for range rs {
		<-done
	}
	return errs
}
