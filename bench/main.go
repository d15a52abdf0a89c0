// Command bench is `make bench`: it measures Switchboard on this machine and
// writes the results to docs/BENCHMARKS.md.
//
// It runs, in order and within about twenty-five minutes:
//
//   - the testing.B benchmarks of the hot paths (go test -bench, -benchmem);
//   - load runs with wrk on 127.0.0.1, the server pinned to CPU 0 and wrk to
//     CPU 1 (taskset), 3 interleaved repetitions at 8 and 64 connections:
//     a bare net/http server answering the same bytes, the gateway's cache
//     hit on the in-memory store, on Redis, and on Redis as one of three
//     replicas sharing one prefix (the other two idle), a cache miss (no
//     mirror) through a simulated Phonewagon delayed 20 ms, and that
//     upstream called directly; a GET /v1/calls?limit=100 page (and one
//     filtered by company_id) read from the call-history mirror on Redis,
//     each against a bare net/http server answering the same bytes;
//   - memory: idle RSS, RSS under 256 connections, and the peak RSS of
//     GET /v1/calls/export with the sandbox dataset and ten times it;
//   - upstream economy: three replicas on one Redis serving 20 tenants,
//     first their polling dashboards alone, then with report apps (varied
//     filters and windows, deeper pages) and exports added, then those apps
//     from tenants sharing their company's accounts five by five, each with
//     the mirror off and then with every account mirrored (the mirror's own
//     upstream requests counted apart); each run counts a cold minute from
//     an empty cache and a steady minute after a minute's warm-up;
//   - event delay: a live account, a mirror syncing every 5 s and a webhook
//     endpoint in this process, for at most 90 s: the delay from a call
//     appearing upstream to its call.created delivery (median, p99).
//
// Every process it starts listens on 127.0.0.1 only and is stopped before
// it exits; every Redis key it creates lives under a prefix of its own and
// is deleted.
//
// Usage:
//
//	go run ./bench [flags]            # the whole run (make bench)
//	go run ./bench baseline -addr A -body F
//	go run ./bench upstream -addr A [-latency 20ms] [-accounts 8]
//
// The baseline and upstream subcommands are the servers the run starts
// (pinned) as child processes of its own binary.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	args := os.Args[1:]
	cmd := "run"
	if len(args) > 0 && (args[0] == "baseline" || args[0] == "upstream" || args[0] == "run") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "baseline":
		err = serveBaseline(ctx, args)
	case "upstream":
		err = serveUpstream(ctx, args)
	default:
		err = runAll(ctx, args, os.Stdout, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
