//go:build !linux

package redistest

import "os/exec"

// spawn starts cmd. Outside Linux there is no parent-death signal: the
// processes are stopped by the cleanup of the test (or Main) alone.
func spawn(cmd *exec.Cmd) error {
	return cmd.Start()
}
