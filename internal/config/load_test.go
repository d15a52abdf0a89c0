package config

import (
	"encoding/base64"
	"errors"
	"io/fs"
	"log/slog"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/idempotency"
)

const tenantsPath = "/etc/switchboard/tenants.yaml"

// encryptionKey is 32 bytes that contain the canary, so that printing the
// decoded key would be caught.
var encryptionKey = []byte("key-" + canary + "-0123456789abcdefghi")

// productionEnv is a complete, valid non-sandbox environment.
func productionEnv() map[string]string {
	env := exampleEnv()
	maps.Copy(env, map[string]string{
		"SWITCHBOARD_ADDR":                "127.0.0.1:9090",
		"SWITCHBOARD_TENANTS_FILE":        tenantsPath,
		"SWITCHBOARD_REDIS_URL":           "rediss://:pw-" + canary + "@redis.internal:6380/2",
		"SWITCHBOARD_JWT_SECRET":          "jwt-" + canary + "-0123456789abcdefghijklmnop",
		"SWITCHBOARD_JWT_PUBLIC_KEY_FILE": "/etc/switchboard/jwt.pem",
		"SWITCHBOARD_JWT_AUDIENCE":        "internal-apps",
		"SWITCHBOARD_ENCRYPTION_KEY":      base64.StdEncoding.EncodeToString(encryptionKey),
		"SWITCHBOARD_SANDBOX":             "false",
		"SWITCHBOARD_LOG_LEVEL":           "debug",
		"SWITCHBOARD_UPSTREAM_TIMEOUT":    "20s",
		"SWITCHBOARD_SHUTDOWN_TIMEOUT":    "40s",
		"SWITCHBOARD_PPROF_ADDR":          "127.0.0.1:6060",
		"SWITCHBOARD_REDIS_PREFIX":        "staging:",
		"SWITCHBOARD_IDEMPOTENCY_LEASE":   "45s",
		"SWITCHBOARD_JWT_JWKS_URL":        "https://idp.example/.well-known/jwks.json?realm=apps",
	})
	return env
}

// files serves specExample at tenantsPath and fs.ErrNotExist elsewhere.
func files(path string) ([]byte, error) {
	if path == tenantsPath {
		return []byte(specExample), nil
	}
	return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
}

func TestLoadReadsEveryVariable(t *testing.T) {
	c, err := Load(envOf(productionEnv()), files)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	wantTenants, err := ParseTenants([]byte(specExample), envOf(exampleEnv()))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Addr:             "127.0.0.1:9090",
		TenantsFile:      tenantsPath,
		RedisURL:         domain.Secret("rediss://:pw-" + canary + "@redis.internal:6380/2"),
		JWTSecret:        domain.Secret("jwt-" + canary + "-0123456789abcdefghijklmnop"),
		JWTPublicKeyFile: "/etc/switchboard/jwt.pem",
		JWTJWKSURL:       "https://idp.example/.well-known/jwks.json?realm=apps",
		JWTAudience:      "internal-apps",
		EncryptionKey:    domain.Secret(encryptionKey),
		LogLevel:         slog.LevelDebug,
		UpstreamTimeout:  20 * time.Second,
		ShutdownTimeout:  40 * time.Second,
		PprofAddr:        "127.0.0.1:6060",
		RedisPrefix:      "staging:",
		IdempotencyLease: 45 * time.Second,
		Tenants:          wantTenants,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v, want %+v", c, want)
	}
}

func TestLoadAppliesDefaultsInSandboxMode(t *testing.T) {
	c, err := Load(envOf(map[string]string{"SWITCHBOARD_SANDBOX": "true"}), nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := &Config{
		Addr:             DefaultAddr,
		JWTAudience:      DefaultJWTAudience,
		Sandbox:          true,
		LogLevel:         slog.LevelInfo,
		UpstreamTimeout:  DefaultUpstreamTimeout,
		ShutdownTimeout:  DefaultShutdownTimeout,
		RedisPrefix:      DefaultRedisPrefix,
		IdempotencyLease: idempotency.DefaultLease,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v, want %+v", c, want)
	}
}

func TestLoadAcceptsValidVariants(t *testing.T) {
	cases := []struct {
		name  string
		set   map[string]string
		check func(*Config) (got, want any)
	}{
		{"a public key file alone satisfies the token rule", map[string]string{"SWITCHBOARD_JWT_SECRET": ""},
			func(c *Config) (any, any) { return c.JWTPublicKeyFile, "/etc/switchboard/jwt.pem" }},
		{"a JWKS URL alone satisfies the token rule", map[string]string{"SWITCHBOARD_JWT_SECRET": "", "SWITCHBOARD_JWT_PUBLIC_KEY_FILE": ""},
			func(c *Config) (any, any) {
				return c.JWTJWKSURL, "https://idp.example/.well-known/jwks.json?realm=apps"
			}},
		{"an http JWKS URL on a private network is accepted", map[string]string{"SWITCHBOARD_JWT_JWKS_URL": "http://keycloak:8080/realms/apps/protocol/openid-connect/certs"},
			func(c *Config) (any, any) {
				return c.JWTJWKSURL, "http://keycloak:8080/realms/apps/protocol/openid-connect/certs"
			}},
		{"an HS256 secret alone satisfies the token rule", map[string]string{"SWITCHBOARD_JWT_PUBLIC_KEY_FILE": ""},
			func(c *Config) (any, any) { return c.JWTPublicKeyFile, "" }},
		{"no Redis needs no encryption key", map[string]string{"SWITCHBOARD_REDIS_URL": "", "SWITCHBOARD_ENCRYPTION_KEY": ""},
			func(c *Config) (any, any) { return c.RedisURL == "" && c.EncryptionKey == "", true }},
		{"sandbox mode with Redis needs no encryption key", map[string]string{"SWITCHBOARD_SANDBOX": "1", "SWITCHBOARD_ENCRYPTION_KEY": ""},
			func(c *Config) (any, any) { return c.Sandbox, true }},
		{"sandbox mode still reads a tenants file", map[string]string{"SWITCHBOARD_SANDBOX": "TRUE"},
			func(c *Config) (any, any) { return len(c.Tenants), 1 }},
		{"a unix socket Redis URL is accepted", map[string]string{"SWITCHBOARD_REDIS_URL": "unix:///run/redis.sock"},
			func(c *Config) (any, any) { return c.RedisURL.Reveal(), "unix:///run/redis.sock" }},
		{"an empty audience means the default", map[string]string{"SWITCHBOARD_JWT_AUDIENCE": ""},
			func(c *Config) (any, any) { return c.JWTAudience, DefaultJWTAudience }},
		{"port 0 is a valid listen address", map[string]string{"SWITCHBOARD_ADDR": ":0"},
			func(c *Config) (any, any) { return c.Addr, ":0" }},
		{"log levels are case-insensitive", map[string]string{"SWITCHBOARD_LOG_LEVEL": "WARN"},
			func(c *Config) (any, any) { return c.LogLevel, slog.LevelWarn }},
		{"an upstream timeout of exactly 60s is accepted", map[string]string{"SWITCHBOARD_UPSTREAM_TIMEOUT": "1m"},
			func(c *Config) (any, any) { return c.UpstreamTimeout, time.Minute }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := productionEnv()
			maps.Copy(env, tc.set)
			c, err := Load(envOf(env), files)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got, want := tc.check(c); got != want {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestLoadRejectsInvalidEnvironments(t *testing.T) {
	shortKey := base64.StdEncoding.EncodeToString([]byte("short-" + canary))
	cases := []struct {
		name  string
		set   map[string]string
		field string
		want  string
	}{
		{"an address without a port is rejected", map[string]string{"SWITCHBOARD_ADDR": "8080"}, "SWITCHBOARD_ADDR", "host:port"},
		{"an address with an empty port is rejected", map[string]string{"SWITCHBOARD_ADDR": "localhost:"}, "SWITCHBOARD_ADDR", "numeric port"},
		{"an address with a named port is rejected", map[string]string{"SWITCHBOARD_ADDR": "localhost:http"}, "SWITCHBOARD_ADDR", "numeric port"},
		{"a Redis prefix with a brace is rejected", map[string]string{"SWITCHBOARD_REDIS_PREFIX": "a{b}"}, "SWITCHBOARD_REDIS_PREFIX", "letters"},
		{"a JWKS URL without a scheme is rejected", map[string]string{"SWITCHBOARD_JWT_JWKS_URL": "idp.example/" + canary + "/jwks.json"}, "SWITCHBOARD_JWT_JWKS_URL", "absolute https"},
		{"a JWKS URL of another scheme is rejected", map[string]string{"SWITCHBOARD_JWT_JWKS_URL": "ftp://idp.example/" + canary}, "SWITCHBOARD_JWT_JWKS_URL", "absolute https"},
		{"a JWKS URL with user info is rejected", map[string]string{"SWITCHBOARD_JWT_JWKS_URL": "https://u:" + canary + "@idp.example/jwks"}, "SWITCHBOARD_JWT_JWKS_URL", "user info"},
		{"a JWKS URL without a host is rejected", map[string]string{"SWITCHBOARD_JWT_JWKS_URL": "https:///" + canary}, "SWITCHBOARD_JWT_JWKS_URL", "host"},
		{"a JWKS URL with a fragment is rejected", map[string]string{"SWITCHBOARD_JWT_JWKS_URL": "https://idp.example/jwks#" + canary}, "SWITCHBOARD_JWT_JWKS_URL", "fragment"},
		{"a JWKS URL that does not parse is rejected", map[string]string{"SWITCHBOARD_JWT_JWKS_URL": "https://idp.example/%zz" + canary}, "SWITCHBOARD_JWT_JWKS_URL", "not a valid URL"},
		{"a pprof address without a port is rejected", map[string]string{"SWITCHBOARD_PPROF_ADDR": "localhost"}, "SWITCHBOARD_PPROF_ADDR", "host:port"},
		{"an http Redis URL is rejected without its password", map[string]string{"SWITCHBOARD_REDIS_URL": "http://u:" + canary + "@redis:6379"}, "SWITCHBOARD_REDIS_URL", "redis://, rediss:// or unix://"},
		{"an unparsable Redis URL is rejected without quoting it", map[string]string{"SWITCHBOARD_REDIS_URL": "redis://:" + canary + "%zz@redis"}, "SWITCHBOARD_REDIS_URL", "not a valid URL"},
		{"a Redis URL without a host is rejected", map[string]string{"SWITCHBOARD_REDIS_URL": "redis://"}, "SWITCHBOARD_REDIS_URL", "host"},
		{"a unix Redis URL without a path is rejected", map[string]string{"SWITCHBOARD_REDIS_URL": "unix://"}, "SWITCHBOARD_REDIS_URL", "socket path"},
		{"an encryption key that is not base64 is rejected", map[string]string{"SWITCHBOARD_ENCRYPTION_KEY": "!!" + canary}, "SWITCHBOARD_ENCRYPTION_KEY", "standard base64"},
		{"an encryption key of the wrong length is rejected", map[string]string{"SWITCHBOARD_ENCRYPTION_KEY": shortKey}, "SWITCHBOARD_ENCRYPTION_KEY", "32 random bytes"},
		{"an unpadded encryption key is rejected", map[string]string{"SWITCHBOARD_ENCRYPTION_KEY": strings.TrimRight(base64.StdEncoding.EncodeToString(encryptionKey), "=")}, "SWITCHBOARD_ENCRYPTION_KEY", "standard base64"},
		{"a sandbox value other than true, false, 1 or 0 is rejected", map[string]string{"SWITCHBOARD_SANDBOX": "yes"}, "SWITCHBOARD_SANDBOX", "true, false, 1 or 0"},
		{"an unknown log level is rejected", map[string]string{"SWITCHBOARD_LOG_LEVEL": "verbose"}, "SWITCHBOARD_LOG_LEVEL", "debug, info, warn or error"},
		{"an upstream timeout that is not a duration is rejected", map[string]string{"SWITCHBOARD_UPSTREAM_TIMEOUT": "15"}, "SWITCHBOARD_UPSTREAM_TIMEOUT", "Go duration"},
		{"a zero upstream timeout is rejected", map[string]string{"SWITCHBOARD_UPSTREAM_TIMEOUT": "0s"}, "SWITCHBOARD_UPSTREAM_TIMEOUT", "more than 0"},
		{"a negative upstream timeout is rejected", map[string]string{"SWITCHBOARD_UPSTREAM_TIMEOUT": "-1s"}, "SWITCHBOARD_UPSTREAM_TIMEOUT", "more than 0"},
		{"an upstream timeout over 60s is rejected", map[string]string{"SWITCHBOARD_UPSTREAM_TIMEOUT": "61s"}, "SWITCHBOARD_UPSTREAM_TIMEOUT", "at most 1m0s"},
		{"an idempotency lease over 60s is rejected", map[string]string{"SWITCHBOARD_IDEMPOTENCY_LEASE": "61s"}, "SWITCHBOARD_IDEMPOTENCY_LEASE", "at most 1m0s"},
		{"a zero idempotency lease is rejected", map[string]string{"SWITCHBOARD_IDEMPOTENCY_LEASE": "0s"}, "SWITCHBOARD_IDEMPOTENCY_LEASE", "more than 0"},
		{"a shutdown timeout that is not a duration is rejected", map[string]string{"SWITCHBOARD_SHUTDOWN_TIMEOUT": "soon"}, "SWITCHBOARD_SHUTDOWN_TIMEOUT", "Go duration"},
		{"a shutdown timeout over 10m is rejected", map[string]string{"SWITCHBOARD_SHUTDOWN_TIMEOUT": "11m"}, "SWITCHBOARD_SHUTDOWN_TIMEOUT", "at most 10m0s"},
		{"a missing tenants file outside sandbox mode is rejected", map[string]string{"SWITCHBOARD_TENANTS_FILE": ""}, "SWITCHBOARD_TENANTS_FILE", "is required unless SWITCHBOARD_SANDBOX=true"},
		{"an unreadable tenants file is rejected without its path", map[string]string{"SWITCHBOARD_TENANTS_FILE": "/nope/" + canary}, "SWITCHBOARD_TENANTS_FILE", "cannot be read: open: file does not exist"},
		{"an invalid tenants file is reported by field", map[string]string{"ACME_PHONEWAGON_SECRET": ""}, "tenants[0].phonewagon.client_secret", "ACME_PHONEWAGON_SECRET is not set"},
		{"no token verification key outside sandbox mode is rejected", map[string]string{"SWITCHBOARD_JWT_SECRET": "", "SWITCHBOARD_JWT_PUBLIC_KEY_FILE": "", "SWITCHBOARD_JWT_JWKS_URL": ""}, "SWITCHBOARD_JWT_SECRET", "SWITCHBOARD_JWT_JWKS_URL"},
		{"an HS256 secret under 32 bytes is rejected", map[string]string{"SWITCHBOARD_JWT_SECRET": "short-" + canary}, "SWITCHBOARD_JWT_SECRET", "too weak"},
		{"an HS256 secret under 32 bytes is rejected in sandbox mode too", map[string]string{"SWITCHBOARD_SANDBOX": "true", "SWITCHBOARD_JWT_SECRET": "short-" + canary}, "SWITCHBOARD_JWT_SECRET", "too weak"},
		{"Redis without an encryption key outside sandbox mode is rejected", map[string]string{"SWITCHBOARD_ENCRYPTION_KEY": ""}, "SWITCHBOARD_ENCRYPTION_KEY", "required when SWITCHBOARD_REDIS_URL is set"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := productionEnv()
			maps.Copy(env, tc.set)
			c, err := Load(envOf(env), files)
			if c != nil {
				t.Errorf("got a config, want none with an error")
			}
			checkProblem(t, err, tc.field, tc.want)
		})
	}
}

func TestLoadKeepsTheReadErrorForErrorsIs(t *testing.T) {
	env := productionEnv()
	env["SWITCHBOARD_TENANTS_FILE"] = "/missing.yaml"
	_, err := Load(envOf(env), files)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v, want an error matching fs.ErrNotExist", err)
	}
}

func TestLoadReportsEveryProblemAtOnce(t *testing.T) {
	_, err := Load(envOf(map[string]string{
		"SWITCHBOARD_ADDR":      "nope",
		"SWITCHBOARD_LOG_LEVEL": "loud",
		"SWITCHBOARD_REDIS_URL": "redis://:" + canary + "@r",
	}), files)
	for _, field := range []string{"SWITCHBOARD_ADDR", "SWITCHBOARD_LOG_LEVEL", "SWITCHBOARD_TENANTS_FILE", "SWITCHBOARD_JWT_SECRET", "SWITCHBOARD_ENCRYPTION_KEY"} {
		checkProblem(t, err, field, "")
	}
}

func TestLoadReportsAnInvalidEncryptionKeyOnce(t *testing.T) {
	env := productionEnv()
	env["SWITCHBOARD_ENCRYPTION_KEY"] = "not base64"
	_, err := Load(envOf(env), files)
	var list Errors
	if !errors.As(err, &list) || len(list) != 1 {
		t.Errorf("got %v, want exactly one problem", err)
	}
}
