package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// The rows of the load table.
const (
	rowBaseline = "a"
	rowHitMem   = "b"
	rowHitRedis = "c"
	rowMiss     = "d"
	rowDirect   = "e"
	// rowHitRedis3 is the Redis-store hit on one of three replicas sharing
	// one Redis prefix: the other two started, saw every load tenant and
	// keep their heartbeats and connections, but take no wrk traffic.
	rowHitRedis3 = "j"
)

// idleReplicas is how many replicas beside the measured one row (j) runs.
const idleReplicas = 2

// rowOrder is the order rows run in within one repetition and appear in.
func rowOrder() []string {
	return []string{rowBaseline, rowHitMem, rowHitRedis, rowHitRedis3, rowMiss, rowDirect, rowMirrorBase, rowMirror, rowMirrorCoBase, rowMirrorCo}
}

// rowInfo describes a row of the load table.
type rowInfo struct {
	Title    string
	Baseline string // the row its ratio is taken against
}

// rows names each row and its baseline.
func rows() map[string]rowInfo {
	return map[string]rowInfo{
		rowBaseline:     {"baseline: bare net/http, same bytes", rowBaseline},
		rowHitMem:       {"gateway cache hit, in-memory store", rowBaseline},
		rowHitRedis:     {"gateway cache hit, Redis store, one replica", rowBaseline},
		rowHitRedis3:    {"gateway cache hit, Redis store, 1 of 3 replicas on one prefix (2 idle)", rowBaseline},
		rowMiss:         {"gateway cache miss, mirror off, upstream +20 ms", rowDirect},
		rowDirect:       {"upstream +20 ms, called directly", rowDirect},
		rowMirrorBase:   {"baseline: bare net/http, same bytes as (g)", rowMirrorBase},
		rowMirror:       {"mirrored page, limit=100, Redis store", rowMirrorBase},
		rowMirrorCoBase: {"baseline: bare net/http, same bytes as (i)", rowMirrorCoBase},
		rowMirrorCo:     {"mirrored page, limit=100&company_id, Redis store", rowMirrorCoBase},
	}
}

// hitPath is the request of the cache-hit rows (and of the baseline, so
// that both read the same request and write the same bytes).
const hitPath = "/v1/calls?limit=5"

// missTenants is how many tenants, each with its own Phonewagon account
// and budget, the miss rows spread their requests over: at 64 connections a
// 10 s run sends about 30 000 upstream requests, and one account's budget
// is at most 10 000 a minute.
const missTenants = 8

// missBudget is each miss tenant's budget_per_minute (the most the tenants
// file allows).
const missBudget = 10000

// loadTarget is a server ready for wrk, and how to stop it.
type loadTarget struct {
	run  wrkRun
	stop func()
}

// startRow starts the server of row and returns the wrk run against it.
func (r *runner) startRow(ctx context.Context, row string) (loadTarget, error) {
	auth := "Authorization: Bearer " + r.tokens[0]
	if mirrorRows(row) {
		return r.startMirrorRow(ctx, row)
	}
	switch row {
	case rowBaseline:
		addr, err := freeAddr()
		if err != nil {
			return loadTarget{}, err
		}
		c, err := r.procs.start(serverCPU, nil, r.selfBin, "baseline", "-addr", addr, "-body", r.hitBodyFile)
		if err != nil {
			return loadTarget{}, err
		}
		if err := waitHTTP(ctx, c, "http://"+addr+"/"); err != nil {
			r.procs.stop(c)
			return loadTarget{}, err
		}
		return loadTarget{run: wrkRun{URL: "http://" + addr + hitPath, Header: auth}, stop: func() { r.procs.stop(c) }}, nil
	case rowHitMem, rowHitRedis:
		cfg := gatewayConfig{CPU: serverCPU, TenantsFile: r.loadTenants}
		if row == rowHitRedis {
			cfg.RedisPrefix = newPrefix()
		}
		g, err := r.startGateway(ctx, cfg)
		if err != nil {
			return loadTarget{}, err
		}
		stop := func() { r.stopGateway(g, cfg.RedisPrefix) }
		if _, err := g.warm(ctx, hitPath, r.tokens[0]); err != nil {
			stop()
			return loadTarget{}, err
		}
		return loadTarget{run: wrkRun{URL: g.URL + hitPath, Header: auth}, stop: stop}, nil
	case rowHitRedis3:
		return r.startReplicasRow(ctx)
	case rowMiss:
		g, err := r.startGateway(ctx, gatewayConfig{CPU: serverCPU, TenantsFile: r.loadTenants})
		if err != nil {
			return loadTarget{}, err
		}
		headers := make([]string, len(r.tokens))
		for i, t := range r.tokens {
			headers[i] = "Bearer " + t
		}
		script := luaRotating("/v1/calls?limit=5&since=%s",
			`os.date("!%Y-%m-%dT%H:%M:%SZ", `+strconv.FormatInt(r.sinceBase, 10)+` + n)`, headers)
		return loadTarget{run: wrkRun{URL: g.URL + "/", Script: script}, stop: func() { r.stopGateway(g, "") }}, nil
	case rowDirect:
		headers := make([]string, missTenants)
		for i := range headers {
			headers[i] = "Basic " + base64.StdEncoding.EncodeToString([]byte(accountID(i)+":"+upstreamSecret.Reveal()))
		}
		script := luaRotating("/calls?page_size=5&start_time=%s",
			`tostring(`+strconv.FormatInt(r.sinceBase, 10)+` + n) .. "000"`, headers)
		return loadTarget{run: wrkRun{URL: r.upstreamURL + "/", Script: script}, stop: func() {}}, nil
	}
	return loadTarget{}, fmt.Errorf("unknown row %q", row)
}

// redisRow reports whether row needs the run's Redis.
func redisRow(row string) bool {
	return row == rowHitRedis || row == rowHitRedis3 || mirrorRows(row)
}

// startReplicasRow starts row (j): idleReplicas gateways pinned with the
// load generator (other machines in production) and the measured one on
// the server CPU, all on one fresh Redis prefix. Every replica first asks
// the hit path for every load tenant, so that each has seen the same
// tenants (cache fills, budget admissions, token verification) before the
// run; the measured one then checks its next request is a hit.
func (r *runner) startReplicasRow(ctx context.Context) (loadTarget, error) {
	prefix := newPrefix()
	var started []*gateway
	stop := func() {
		for _, g := range started {
			r.procs.stop(g.child)
		}
		r.cleanPrefix(prefix)
	}
	for i := range idleReplicas + 1 {
		cpu := loadCPU
		if i == idleReplicas {
			cpu = serverCPU
		}
		g, err := r.startGateway(ctx, gatewayConfig{CPU: cpu, TenantsFile: r.loadTenants, RedisPrefix: prefix})
		if err != nil {
			stop()
			return loadTarget{}, err
		}
		started = append(started, g)
		for _, tok := range r.tokens {
			if status, _, body, err := g.get(ctx, hitPath, tok); err != nil || status != http.StatusOK {
				stop()
				return loadTarget{}, fmt.Errorf("replica %d: GET %s: status %d, %v: %.200s", i, hitPath, status, err, body)
			}
		}
	}
	measured := started[idleReplicas]
	if _, err := measured.warm(ctx, hitPath, r.tokens[0]); err != nil {
		stop()
		return loadTarget{}, err
	}
	return loadTarget{run: wrkRun{URL: measured.URL + hitPath, Header: "Authorization: Bearer " + r.tokens[0]}, stop: stop}, nil
}

// stopGateway stops g and deletes the Redis keys under prefix, if any.
func (r *runner) stopGateway(g *gateway, prefix string) {
	r.procs.stop(g.child)
	r.cleanPrefix(prefix)
}

// cleanPrefix deletes the run's Redis keys under prefix; "" does nothing.
func (r *runner) cleanPrefix(prefix string) {
	if prefix == "" || r.redis == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := r.redis.clean(ctx, prefix); err != nil {
		r.logf("cleaning Redis prefix %s: %v", prefix, err)
	}
}

// rowKey identifies a cell of the load matrix.
type rowKey struct {
	Row   string
	Conns int
}

// runMatrix runs every row at every connection count, reps times,
// interleaved: each repetition runs the whole matrix before the next
// starts, so that a slow minute on a shared machine spreads over all rows
// instead of sinking one. Every run gets a freshly started server.
func (r *runner) runMatrix(ctx context.Context) (map[rowKey][]wrkResult, error) {
	out := make(map[rowKey][]wrkResult)
	for rep := 1; rep <= r.opts.Reps; rep++ {
		for _, row := range rowOrder() {
			if !r.opts.Rows[row] || (redisRow(row) && r.redis == nil) {
				continue
			}
			for _, conns := range r.opts.Conns {
				res, err := r.runCell(ctx, row, conns)
				if err != nil {
					return nil, fmt.Errorf("row %s, %d connections, repetition %d: %w", row, conns, rep, err)
				}
				r.logf("rep %d  %s  c=%-3d  %9.0f req/s  p50 %-9s p99 %-9s failures %d",
					rep, row, conns, res.RPS(), fmtDuration(res.P50), fmtDuration(res.P99), res.Failures())
				k := rowKey{row, conns}
				out[k] = append(out[k], res)
			}
		}
	}
	return out, nil
}

// runCell starts row's server, loads it for the run length, and stops it.
func (r *runner) runCell(ctx context.Context, row string, conns int) (wrkResult, error) {
	t, err := r.startRow(ctx, row)
	if err != nil {
		return wrkResult{}, err
	}
	defer t.stop()
	t.run.Conns = conns
	t.run.Duration = r.opts.Duration
	return runWrk(ctx, r.procs, r.dir, t.run)
}
