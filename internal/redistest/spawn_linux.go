package redistest

import (
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

// spawnReq is one process to start on the spawning thread.
type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

var (
	spawnOnce sync.Once
	spawnCh   = make(chan spawnReq)
)

// spawner starts every cluster process from one OS thread that never exits:
// Linux delivers a child's parent-death signal when the thread that forked
// it ends, so the processes die with the test binary, and only then.
func spawner() {
	runtime.LockOSThread()
	for r := range spawnCh {
		r.done <- r.cmd.Start()
	}
}

// spawn starts cmd so that it is killed (SIGKILL) when the test binary
// exits, however it exits.
func spawn(cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	spawnOnce.Do(func() { go spawner() })
	done := make(chan error, 1)
	spawnCh <- spawnReq{cmd: cmd, done: done}
	return <-done
}
