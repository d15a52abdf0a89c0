package main

import "syscall"

// childAttrs puts each replica in a process group of its own, so that a
// Ctrl-C reaches this program alone and it stops the replicas in order,
// and asks the kernel to kill the replica should this program die without
// stopping it (Pdeathsig).
func childAttrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
