package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testRedis returns the URL of the test Redis and a key prefix of this
// test's own, deleting every key under it when the test ends. Without a
// reachable Redis the test is skipped, except in CI, where it fails.
func testRedis(t *testing.T) (url, prefix string) {
	t.Helper()
	url = os.Getenv("SWITCHBOARD_TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("SWITCHBOARD_TEST_REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis unreachable in CI: %v", err)
		}
		t.Skipf("Redis unreachable (%v); set SWITCHBOARD_TEST_REDIS_URL", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix = "sbtest:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		defer rdb.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		keys, _ := scanKeys(ctx, rdb, prefix)
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return url, prefix
}

func scanKeys(ctx context.Context, rdb *redis.Client, prefix string) ([]string, error) {
	var out []string
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		out = append(out, iter.Val())
	}
	return out, iter.Err()
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
