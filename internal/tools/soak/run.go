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
	rep := report{Opts: opts, Seed: seed, LoadStart: time.Now(), Disrupt: &disruptions{}}
	targets := mirrorTargets(tenants)
	var ex *extras
	if !opts.Overload {
		ex = startExtras(ctx, g, tenants, targets, opts, seed, errOut)
	}
	samples := runLoad(ctx, opts, g, workloadConfig{
		Replicas: g.replicas, Tenants: tenants, Client: cl, Ledger: led,
		Rate: opts.tenantRate(), Duration: opts.loadDuration(), Seed: seed,
	}, errOut, &rep)
	if ex != nil {
		g.logf("load done; comparing the mirrors with the simulator and draining the events")
		ex.finish(ctx, g, targets, &rep)
	}
	g.logf("waiting for the replicas to settle")
	after := settledGoroutines(ctx, sc, g, cl, before, opts.GoroutineSlack)

	rep.Interrupted = ctx.Err() != nil
	rep.Load = rec.summarize(func(o outcome) bool {
		return rep.Disrupt.killedDuring(o.Replica, o.Start, o.Start.Add(o.Latency))
	})
	rep.Ledger = led.summarize(rep.Disrupt.restartedAcross)
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

// extras are the soak's additions to the workload: the SSE clients, the
// sync-lag sampler and the disruptions (an empty Redis restart, a replica
// SIGKILLed and started again).
type extras struct {
	cancel  context.CancelFunc
	clients []*sseClient
	sync    *syncSampler
	done    chan *disruptions
}

// startExtras starts them for the load's duration.
func startExtras(ctx context.Context, g *rig, tenants []*tenantState, targets []mirrorTarget, opts options, seed uint64, errOut io.Writer) *extras {
	ectx, cancel := context.WithCancel(ctx)
	ex := &extras{cancel: cancel, done: make(chan *disruptions, 1)}
	for i, spec := range topology() {
		if !spec.Mirror {
			continue
		}
		for _, kind := range []sseKind{sseSteady, sseHopHeader, sseHopQuery} {
			c := newSSEClient(tenants[i], kind)
			ex.clients = append(ex.clients, c)
			go c.run(ectx, g.replicas, seed+uint64(len(ex.clients)))
		}
	}
	ex.sync = runSyncSampler(ectx, g.replicas, targets)
	go func() { ex.done <- runDisruptions(ctx, g, targets, opts.loadDuration(), errOut) }()
	return ex
}

// finish waits for the disruptions, compares each mirror with the
// simulator, replays the event logs, waits for the clients and receivers
// to have them, stops the clients and fills rep.
func (ex *extras) finish(ctx context.Context, g *rig, targets []mirrorTarget, rep *report) {
	rep.Disrupt = <-ex.done
	rep.Sync = ex.sync.summarize()
	for _, tg := range targets {
		rep.Mirror = append(rep.Mirror, checkMirror(ctx, g.replicas, g.up.pw, tg))
	}
	logs := collectLogs(ctx, g.replicas, targets, g.up.pw, rep.Disrupt)
	drained, took := drainEvents(ctx, logs, ex.clients, g.recv)
	ex.cancel()
	sses, hooks := checkEvents(logs, ex.clients, g.recv, rep.Disrupt)
	rep.Events = eventsReport{Logs: logs, SSE: sses, Webhooks: hooks, Drained: drained, DrainFor: took}
}
