package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// rig is everything a run starts before the load: the temporary directory
// (gateway binary, tenants file, replica and Redis logs), a redis-server of
// the run's own and the prefix used in it, the simulators, the webhook
// receivers and the replicas. tearDown undoes all of it.
type rig struct {
	dir      string
	keep     bool // keep dir (logs) at tear-down
	creds    credentials
	own      *ownRedis
	redis    *sharedRedis
	up       *upstreams
	recv     []*receiver
	fleet    fleetConfig
	replicas []*replica
	// redisCleaned is set once the Redis keys were deleted for the report.
	redisCleaned bool
	logf         func(format string, args ...any)
}

// setUp builds the gateway and starts the simulators and the replicas. On
// error whatever was started is torn down.
func setUp(ctx context.Context, opts options, errOut io.Writer) (_ *rig, err error) {
	g := &rig{keep: opts.KeepDir, creds: newCredentials(),
		logf: func(format string, args ...any) { fmt.Fprintf(errOut, "soak: "+format+"\n", args...) }}
	if g.dir, err = os.MkdirTemp("", "switchboard-soak-"); err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	defer func() {
		if err != nil {
			g.tearDown()
		}
	}()
	root, err := moduleRoot(ctx)
	if err != nil {
		return nil, err
	}
	g.logf("building the gateway")
	bin, err := buildGateway(ctx, root, g.dir)
	if err != nil {
		return nil, err
	}
	if g.own, err = startOwnRedis(ctx, g.dir); err != nil {
		return nil, err
	}
	if g.redis, err = openRedis(ctx, g.own.URL); err != nil {
		return nil, err
	}
	if g.up, err = startUpstreams(g.creds); err != nil {
		return nil, err
	}
	var secrets, hookURLs []string
	for _, s := range g.creds.WebhookSecrets {
		secrets = append(secrets, s.Reveal())
	}
	if g.recv, err = startReceivers(secrets); err != nil {
		return nil, err
	}
	for _, rc := range g.recv {
		hookURLs = append(hookURLs, rc.URL)
	}
	tenantsFile := filepath.Join(g.dir, "tenants.yaml")
	if err := writeTenantsFile(tenantsFile, g.up.CWURL, g.up.PWURL, opts.RateLimitPerMinute, hookURLs); err != nil {
		return nil, err
	}
	env := append([]string{
		"SWITCHBOARD_TENANTS_FILE=" + tenantsFile,
		"SWITCHBOARD_REDIS_URL=" + g.redis.URL,
		"SWITCHBOARD_REDIS_PREFIX=" + g.redis.Prefix,
		"SWITCHBOARD_JWT_SECRET=" + g.creds.JWTSecret.Reveal(),
		"SWITCHBOARD_ENCRYPTION_KEY=" + g.creds.EncryptionKey.Reveal(),
		"SWITCHBOARD_UPSTREAM_TIMEOUT=" + opts.UpstreamTimeout.String(),
		"SWITCHBOARD_SHUTDOWN_TIMEOUT=" + shutdownGrace.String(),
		"SWITCHBOARD_LOG_LEVEL=info",
	}, g.creds.secretEnv()...)
	g.logf("starting %d replicas (logs in %s)", opts.Replicas, g.dir)
	g.fleet = fleetConfig{Binary: bin, N: opts.Replicas, Env: env, Dir: g.dir}
	if g.replicas, err = startFleet(ctx, g.fleet); err != nil {
		g.keep = true // the failed replica's log says why
		return nil, err
	}
	return g, nil
}

// cleanRedis deletes the run's keys and returns how many there were.
func (g *rig) cleanRedis() int {
	g.redisCleaned = true
	n, err := g.redis.cleanup()
	if err != nil {
		g.logf("%v", err)
	}
	return n
}

// tearDown stops what is still running, deletes the Redis keys unless
// that was done already, and removes the temporary directory, or only the
// binary when the logs are kept.
func (g *rig) tearDown() {
	stopFleet(g.replicas) // a no-op for replicas already stopped
	if g.up != nil {
		g.up.close()
	}
	closeReceivers(g.recv)
	if g.redis != nil && !g.redisCleaned {
		g.cleanRedis()
	}
	if g.own != nil {
		g.own.stop()
	}
	if g.keep {
		g.logf("logs and tenants file kept in %s", g.dir)
		_ = os.Remove(filepath.Join(g.dir, "gateway"))
		return
	}
	_ = os.RemoveAll(g.dir)
}
