package main

import (
	"context"
	"io"
	"time"
)

// run is the whole program: it sets up the upstreams, the Redis prefix and
// the replicas, runs the load, gathers the figures, stops everything it
// started and prints the report to stdout (progress and diagnostics go to
// errOut). It reports whether the run passed.
func run(ctx context.Context, opts options, stdout, errOut io.Writer) (bool, error) {
	seed := opts.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	g, err := setUp(ctx, opts, errOut)
	if err != nil {
		return false, err
	}
	defer g.tearDown()

	tenants, err := newTenantStates(g.creds.JWTSecret, g.up, opts.loadDuration())
	if err != nil {
		return false, err
	}
	rec := newRecorder(opts.latencyBound())
	cl := newClient(rec)
	warmUp(ctx, g.replicas, tenants)
	sc := newScraper()
	before := settledGoroutines(ctx, sc, g, cl, nil, 0)

	g.logf("%s: %s at %g requests/s per tenant, %d tenants, %d replicas, seed %d",
		opts.mode(), opts.loadDuration(), opts.tenantRate(), numTenants, opts.Replicas, seed)
	led := newLedger(randomHex(4))
	rep := report{Opts: opts, Seed: seed, LoadStart: time.Now()}
	samples := runLoad(ctx, opts, g, workloadConfig{
		Replicas: g.replicas, Tenants: tenants, Client: cl, Ledger: led,
		Rate: opts.tenantRate(), Duration: opts.loadDuration(), Seed: seed,
	}, errOut, &rep)
	g.logf("load done; waiting for the replicas to settle")
	after := settledGoroutines(ctx, sc, g, cl, before, opts.GoroutineSlack)

	rep.Interrupted = ctx.Err() != nil
	rep.Load, rep.Ledger = rec.summarize(), led.summarize()
	gatherUpstreams(&rep, g.up, led.prefix)
	rep.GatewayCW, rep.GatewayPW = gatewayUpstreamCounts(sc, g.replicas)
	rep.Replicas = replicaReports(g, samples, before, after)
	rep.RedisKeys = g.cleanRedis()

	rep.printDiagnostics(errOut)
	rep.print(stdout)
	pass := len(rep.failures()) == 0
	g.keep = g.keep || !pass
	return pass, nil
}

// runLoad runs the workload with the monitor sampling the replicas and, in
// the soak, the faults rotating; it records the faults in rep and returns
// the samples.
func runLoad(ctx context.Context, opts options, g *rig, cfg workloadConfig, errOut io.Writer, rep *report) map[string]replicaSamples {
	mon := startMonitor(g.replicas, opts.loadDuration())
	faultsDone := make(chan []injection, 1)
	if opts.faultsOn() {
		go func() {
			faultsDone <- runFaults(ctx, g.up, faultPlan{
				Every: opts.FaultEvery, For: opts.FaultFor, Until: opts.loadDuration(), Kinds: opts.Faults, Log: errOut,
			})
		}()
	} else {
		faultsDone <- nil
	}
	runWorkload(ctx, cfg)
	rep.Faults = <-faultsDone
	return mon.stop()
}
