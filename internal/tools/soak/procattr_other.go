//go:build !linux

package main

import "syscall"

// childAttrs: outside Linux there is no Pdeathsig; the replicas are still
// stopped on every way out of run, Ctrl-C included.
func childAttrs() *syscall.SysProcAttr { return nil }
