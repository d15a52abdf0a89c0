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
	"sync"
	"sync/atomic"
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

// replica is one gateway replica: a name and its current child process.
// The soak may SIGKILL the process and start another in its place (same
// name, new port), so the process is read under a lock. It is safe for
// concurrent use.
type replica struct {
	Name string

	// down is set while the replica is being killed and restarted: the
	// workload sends it nothing then.
	down atomic.Bool

	mu sync.Mutex
	p  *process
	// killed are the processes SIGKILLed, oldest first.
	killed []*process
}

// process is one gateway child process.
type process struct {
	url  string // http://127.0.0.1:port
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{} // closed once the process has been waited for
	err  error         // the exit error, valid after done
}

func (r *replica) cur() *process {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.p
}

// URL is the base URL of the replica's current process.
func (r *replica) URL() string { return r.cur().url }

// logPath is the log file of the current process.
func (r *replica) logPath() string { return r.cur().log.Name() }

// restarts is how many times the replica was killed and started again.
func (r *replica) restarts() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.killed)
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
		name := fmt.Sprintf("r%d", i+1)
		p, err := startProcess(ctx, cfg, name, "replica-"+name+".log")
		if err != nil {
			stopFleet(out)
			return nil, err
		}
		out = append(out, &replica{Name: name, p: p})
	}
	return out, nil
}

// startProcess starts one replica process on a free 127.0.0.1 port: the
// gateway picks it (SWITCHBOARD_ADDR=127.0.0.1:0) and logs it in its
// "listening" line, which is read from its stderr while the log file
// (logName in cfg.Dir) is written.
func startProcess(ctx context.Context, cfg fleetConfig, name, logName string) (*process, error) {
	logFile, err := os.Create(filepath.Join(cfg.Dir, logName))
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
	r := &process{cmd: cmd, log: logFile, done: make(chan struct{})}
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
	case r.url = <-urls:
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

// Pid is the replica's current process id.
func (r *replica) Pid() int { return r.cur().cmd.Process.Pid }

// stop stops the replica's current process (see process.stop).
func (r *replica) stop() error { return r.cur().stop() }

// kill SIGKILLs the replica's current process and waits for it to be
// reaped; the workload must have marked the replica down.
func (r *replica) kill() {
	p := r.cur()
	_ = p.cmd.Process.Kill()
	<-p.done
	_ = p.log.Close()
	r.mu.Lock()
	r.killed = append(r.killed, p)
	r.mu.Unlock()
}

// restart starts a new process in place of a killed one, with its own log
// file (replica-<name>-<n>.log).
func (r *replica) restart(ctx context.Context, cfg fleetConfig) error {
	p, err := startProcess(ctx, cfg, r.Name, fmt.Sprintf("replica-%s-%d.log", r.Name, r.restarts()+1))
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.p = p
	r.mu.Unlock()
	return nil
}

// stop asks the process to shut down gracefully (SIGTERM), kills it if it
// has not exited within stopTimeout, and returns its exit error (nil for a
// clean exit). It is safe to call more than once.
func (r *process) stop() error {
	select {
	case <-r.done:
		return r.err
	default:
	}
	if terminate(r.cmd, r.done, stopTimeout) {
		r.err = fmt.Errorf("killed after not exiting within %s of SIGTERM", stopTimeout)
	}
	_ = r.log.Close()
	return r.err
}

// terminate sends cmd's process SIGTERM and waits for done (closed once it
// has been waited for); after grace it sends SIGKILL, waits, and reports
// that it had to.
func terminate(cmd *exec.Cmd, done <-chan struct{}, grace time.Duration) (killed bool) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return false
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
		return true
	}
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
