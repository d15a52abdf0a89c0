// Command soak drives a bounded mixed workload through three gateway
// replicas sharing a redis-server of its own, in front of the in-process
// CallWidget and Phonewagon simulators, and prints what it saw: requests
// served, statuses, errors by problem slug, latency percentiles, upstream
// requests, Phonewagon budget violations, duplicate upstream actions, the
// mirrors compared call by call with the simulator, the events every SSE
// client and webhook receiver missed or got twice, the sync lag, peak
// memory and goroutine counts, and a PASS/FAIL verdict (the exit status is
// non-zero on FAIL).
//
// Two modes:
//
//   - soak (the default): reads, writes with Idempotency-Keys (some retried
//     with the same key and body) and a rotating injected upstream fault;
//     mirrored live accounts followed by SSE clients and signed webhooks to
//     receivers of its own, some failing; an empty Redis restart and a
//     replica SIGKILLed and started again; for -duration (default 5m).
//     `make soak`.
//   - -overload: about ten times every tenant's inbound limit for
//     -overload-duration (default 2m), with the memory, latency-bound and
//     goroutine-leak checks. `make overload`.
//
// Everything it starts listens on 127.0.0.1 and stops by itself: the
// replicas and redis-server are child processes, stopped when the program
// ends (Ctrl-C included), and every Redis key under the run's own prefix
// is deleted.
// The README's "Soak" section describes the output.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	opts, err := parseFlags(os.Args[1:], os.Getenv, os.Stderr)
	if err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	pass, err := run(ctx, opts, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	if !pass {
		os.Exit(1)
	}
}

// parseFlags reads the command line; SOAK_DURATION, when set, is the
// default of -duration so that `SOAK_DURATION=60s make soak` works.
func parseFlags(args []string, getenv func(string) string, errOut io.Writer) (options, error) {
	opts := defaultOptions()
	if v := getenv("SOAK_DURATION"); v != "" {
		if err := opts.setDuration(v); err != nil {
			return options{}, fmt.Errorf("SOAK_DURATION: %w", err)
		}
	}
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.DurationVar(&opts.Duration, "duration", opts.Duration, "soak: how long the workload runs (env SOAK_DURATION)")
	fs.BoolVar(&opts.Overload, "overload", opts.Overload, "run the overload test instead of the soak")
	fs.DurationVar(&opts.OverloadDuration, "overload-duration", opts.OverloadDuration, "overload: how long the load runs")
	fs.IntVar(&opts.Replicas, "replicas", opts.Replicas, "gateway replicas")
	fs.IntVar(&opts.RateLimitPerMinute, "rate-limit", opts.RateLimitPerMinute, "every tenant's rate_limit_per_minute")
	fs.Float64Var(&opts.SoakRate, "rate", opts.SoakRate, "soak: requests per second per tenant")
	fs.Float64Var(&opts.OverloadFactor, "overload-factor", opts.OverloadFactor, "overload: multiple of the inbound limit sent")
	fs.DurationVar(&opts.UpstreamTimeout, "upstream-timeout", opts.UpstreamTimeout, "the replicas' SWITCHBOARD_UPSTREAM_TIMEOUT")
	fs.DurationVar(&opts.FaultEvery, "fault-every", opts.FaultEvery, "soak: time between the starts of two injected faults (0: none)")
	fs.DurationVar(&opts.FaultFor, "fault-for", opts.FaultFor, "soak: how long each injected fault lasts")
	fs.Func("faults", "soak: comma-separated faults to rotate through (default all: 500,503+retry-after,429+retry-after,hang,reset,malformed)", func(v string) error {
		opts.Faults = nil
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				opts.Faults = append(opts.Faults, name)
			}
		}
		return nil
	})
	fs.IntVar(&opts.MaxRSSMiB, "max-rss-mib", opts.MaxRSSMiB, "fail when a replica's peak RSS exceeds this")
	fs.IntVar(&opts.GoroutineSlack, "goroutine-slack", opts.GoroutineSlack, "goroutines a replica may gain between before and after the load")
	fs.Uint64Var(&opts.Seed, "seed", opts.Seed, "workload random seed (0: from the clock)")
	fs.BoolVar(&opts.KeepDir, "keep", opts.KeepDir, "keep the temporary directory (logs, tenants file) even on PASS")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	return opts, opts.validate()
}
