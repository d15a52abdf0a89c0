package main

import (
	"context"
	"encoding/base64"
	"switchboard/internal/redistest"
	"testing"

	"github.com/redis/go-redis/v9"
)

// testRedis returns the URL of the test Redis and a key prefix of this
// test's own, deleted when the test ends (see redistest.Open).
func testRedis(t *testing.T) (url, prefix string) {
	t.Helper()
	_, prefix = redistest.Open(t)
	return redistest.URL(), prefix
}

func scanKeys(ctx context.Context, rdb *redis.Client, prefix string) ([]string, error) {
	return redistest.Keys(ctx, rdb, prefix)
}

// replicaEnv is the environment of one replica of a Redis-backed deployment.
func replicaEnv(t *testing.T, up *upstreams, redisURL, prefix string) map[string]string {
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	env["SWITCHBOARD_REDIS_URL"] = redisURL
	env["SWITCHBOARD_REDIS_PREFIX"] = prefix
	env["SWITCHBOARD_ENCRYPTION_KEY"] = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	return env
}

// startReplicas starts n gateways sharing env.
func startReplicas(t *testing.T, n int, env map[string]string) []*gateway {
	out := make([]*gateway, n)
	for i := range out {
		out[i] = startGateway(t, env)
	}
	return out
}
