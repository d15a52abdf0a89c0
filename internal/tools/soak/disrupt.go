package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// When the two disruptions happen, as shares of the load's duration, and
// how long Redis stays down.
const (
	redisRestartAt = 0.40
	replicaKillAt  = 0.65
	redisDownFor   = 3 * time.Second
	// killedReplica is the index of the replica SIGKILLed.
	killedReplica = 1
	// redisRecoveryGrace: after Redis answers again, a replica keeps
	// treating it as down until its next probe (about a second; README:
	// "after a failure, everyone falls back for a second"), and refuses
	// POSTs with an Idempotency-Key meanwhile.
	redisRecoveryGrace = 5 * time.Second
)

// disruptions is what runDisruptions did, for the analysis and the report.
type disruptions struct {
	// RedisStop and RedisUp bracket the Redis restart (zero when none).
	RedisStop, RedisUp time.Time
	RedisErr           string
	// LogBeforeRestart is, per mirrored account, the event log replayed
	// just before Redis was stopped: what the restart may lose.
	LogBeforeRestart map[string][]streamEvent
	// Kill and KillUp bracket the replica's SIGKILL and its restart.
	Kill, KillUp time.Time
	KilledName   string
	KillErr      string
}

// restartedAcross reports whether the Redis restart, or the replicas'
// recovery from it, overlapped [from, to]: what Redis held when from began
// may be gone by to, and an Idempotency-Key may have been refused.
func (d *disruptions) restartedAcross(from, to time.Time) bool {
	return !d.RedisStop.IsZero() && !from.After(d.RedisUp.Add(redisRecoveryGrace)) && !to.Before(d.RedisStop)
}

// killedDuring reports whether an outcome on replica name that started at
// start and ended at end may have met the SIGKILL: sent to it before its
// restart and not answered before the kill.
func (d *disruptions) killedDuring(name string, start, end time.Time) bool {
	return !d.Kill.IsZero() && name == d.KilledName && !start.After(d.KillUp) && !end.Before(d.Kill)
}

// runDisruptions restarts the run's Redis empty at redisRestartAt of the
// load and SIGKILLs one replica (then starts it again) at replicaKillAt.
// It returns when both are done or ctx ends.
func runDisruptions(ctx context.Context, g *rig, targets []mirrorTarget, d time.Duration, log io.Writer) *disruptions {
	out := &disruptions{LogBeforeRestart: map[string][]streamEvent{}}
	start := time.Now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(log, "soak: %6.1fs "+format+"\n", append([]any{time.Since(start).Seconds()}, args...)...)
	}
	if !sleepCtx(ctx, time.Duration(float64(d)*redisRestartAt)) {
		return out
	}
	for _, tg := range targets {
		evs, err := readLog(ctx, tg.Tenant.pick(g.replicas), tg.Tenant)
		if err != nil {
			logf("before the Redis restart: %v", err)
		}
		out.LogBeforeRestart[tg.Account] = evs
	}
	logf("restart Redis (pid %d) empty, down for %s", g.own.cmd.Process.Pid, redisDownFor)
	out.RedisStop = time.Now()
	if err := g.own.restart(ctx, redisDownFor); err != nil {
		out.RedisErr = err.Error()
		logf("%v", err)
	}
	out.RedisUp = time.Now()
	logf("Redis is back (pid %d)", g.own.cmd.Process.Pid)

	if !sleepCtx(ctx, time.Until(start.Add(time.Duration(float64(d)*replicaKillAt)))) {
		return out
	}
	r := g.replicas[killedReplica]
	out.KilledName = r.Name
	r.down.Store(true)
	logf("SIGKILL replica %s (pid %d)", r.Name, r.Pid())
	out.Kill = time.Now()
	r.kill()
	if err := r.restart(ctx, g.fleet); err != nil {
		out.KillErr = err.Error()
		logf("restart replica %s: %v", r.Name, err)
		out.KillUp = time.Now()
		return out // it stays down: the workload sends it nothing more
	}
	logf("replica %s started again (pid %d)", r.Name, r.Pid())
	out.KillUp = time.Now()
	r.down.Store(false)
	return out
}
