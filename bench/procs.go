package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a child gets to exit after SIGTERM before SIGKILL.
const stopGrace = 5 * time.Second

// procs starts child processes, pinned to a CPU when pinning is available,
// and stops every one still running when asked. It is safe for concurrent
// use.
type procs struct {
	pin bool // taskset is usable: run servers with -c 0 and load with -c 1

	mu      sync.Mutex
	running map[*child]struct{}
}

// child is one started process.
type child struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // valid after done is closed
}

func newProcs(pin bool) *procs {
	return &procs{pin: pin, running: make(map[*child]struct{})}
}

// command builds the command line of argv pinned to cpu (no pinning when
// cpu < 0 or pinning is unavailable).
func (p *procs) command(cpu int, argv ...string) []string {
	if !p.pin || cpu < 0 {
		return argv
	}
	return append([]string{"taskset", "-c", strconv.Itoa(cpu)}, argv...)
}

// start runs argv on cpu with env appended to this process's environment
// (minus any SWITCHBOARD_* variable). Its output goes to /dev/null: the
// gateway's access log stays on, at the cost it has in production, and is
// not read by anyone.
func (p *procs) start(cpu int, env []string, argv ...string) (*child, error) {
	line := p.command(cpu, argv...)
	cmd := exec.Command(line[0], line[1:]...)
	cmd.Env = append(cleanEnv(), env...)
	// A process group of its own, so that stop reaches anything it starts;
	// and killed with the bench if the bench dies without stopping it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	p.mu.Lock()
	p.running[c] = struct{}{}
	p.mu.Unlock()
	go func() {
		c.err = cmd.Wait()
		p.mu.Lock()
		delete(p.running, c)
		p.mu.Unlock()
		close(c.done)
	}()
	return c, nil
}

// stop ends c: SIGTERM to its process group, then SIGKILL after stopGrace.
func (p *procs) stop(c *child) {
	if c == nil {
		return
	}
	pid := c.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(stopGrace):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-c.done
	}
}

// stopAll stops every child still running.
func (p *procs) stopAll() {
	p.mu.Lock()
	list := make([]*child, 0, len(p.running))
	for c := range p.running {
		list = append(list, c)
	}
	p.mu.Unlock()
	for _, c := range list {
		p.stop(c)
	}
}

// pid is the child's process id; with taskset it is the pinned program's,
// since taskset execs it.
func (c *child) pid() int { return c.cmd.Process.Pid }

// cleanEnv is this process's environment without SWITCHBOARD_* variables,
// so that an operator's settings cannot change what a run measures.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") {
			out = append(out, kv)
		}
	}
	return out
}

// freeAddr returns a 127.0.0.1 address with a port nobody listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// waitHTTP polls url until it answers with any status, c exits, or 15 s pass.
func waitHTTP(ctx context.Context, c *child, url string) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-c.done:
			return fmt.Errorf("%s exited before answering: %v", c.cmd.Path, c.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no answer within 15s: %w", url, err)
		}
	}
}

// memStatus is a process's resident memory from /proc/<pid>/status.
type memStatus struct {
	RSS, HWM int64 // bytes: VmRSS now, VmHWM (peak)
}

// readMem reads VmRSS and VmHWM of pid.
func readMem(pid int) (memStatus, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return memStatus{}, err
	}
	defer f.Close()
	var m memStatus
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return memStatus{}, fmt.Errorf("/proc/%d/status: unexpected %s line", pid, name)
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return memStatus{}, fmt.Errorf("/proc/%d/status: %s: %w", pid, name, err)
		}
		if name == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.HWM = kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		return memStatus{}, err
	}
	if m.RSS == 0 || m.HWM == 0 {
		return memStatus{}, errors.New("/proc/" + strconv.Itoa(pid) + "/status: no VmRSS/VmHWM")
	}
	return m, nil
}
