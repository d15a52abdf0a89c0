package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// rig is everything a run starts before the load: the temporary directory
// (gateway binary, tenants file, replica logs), the Redis prefix, the
// simulators and the replicas. tearDown undoes all of it.
type rig struct {
	dir      string
	keep     bool // keep dir (logs) at tear-down
	creds    credentials
	redis    *sharedRedis
	up       *upstreams
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
	redisURL := os.Getenv("SWITCHBOARD_TEST_REDIS_URL")
	if redisURL == "" {
		redisURL = defaultRedisURL
	}
	if g.redis, err = openRedis(ctx, redisURL); err != nil {
		return nil, err
	}
	if g.up, err = startUpstreams(g.creds); err != nil {
		return nil, err
	}
	tenantsFile := filepath.Join(g.dir, "tenants.yaml")
	if err := writeTenantsFile(tenantsFile, g.up.CWURL, g.up.PWURL, opts.RateLimitPerMinute); err != nil {
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
	if g.replicas, err = startFleet(ctx, fleetConfig{Binary: bin, N: opts.Replicas, Env: env, Dir: g.dir}); err != nil {
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
	if g.redis != nil && !g.redisCleaned {
		g.cleanRedis()
	}
	if g.keep {
		g.logf("logs and tenants file kept in %s", g.dir)
		_ = os.Remove(filepath.Join(g.dir, "gateway"))
		return
	}
	_ = os.RemoveAll(g.dir)
}
