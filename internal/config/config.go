package config

import (
	"log/slog"
	"time"

	"switchboard/internal/domain"
)

// Defaults for the environment (SPEC §1).
const (
	DefaultAddr            = ":8080"
	DefaultJWTAudience     = "switchboard"
	DefaultUpstreamTimeout = 15 * time.Second
	// DefaultRedisPrefix starts every Redis key.
	DefaultRedisPrefix = "switchboard:"
	// DefaultShutdownTimeout stays under Kubernetes' default 30 s grace
	// period, so in-flight requests finish before the SIGKILL.
	DefaultShutdownTimeout = 25 * time.Second

	// EncryptionKeySize is the length of SWITCHBOARD_ENCRYPTION_KEY once
	// decoded: an AES-256 key.
	EncryptionKeySize = 32
	// MinJWTSecretSize is the shortest HS256 key accepted: RFC 7518 §3.2
	// requires a key at least as long as the hash output.
	MinJWTSecretSize = 32

	maxUpstreamTimeout = 60 * time.Second
	maxSandboxLatency  = 10 * time.Second
	maxShutdownTimeout = 10 * time.Minute
)

// Config is the validated configuration of the gateway, built by Load. Every
// secret is a domain.Secret, so a Config prints, marshals and logs safely
// (%v, %+v, JSON, slog); LogValue gives the start-up summary.
//
// A Config is not modified after Load returns and is safe to share between
// goroutines.
type Config struct {
	// Addr is the listen address (SWITCHBOARD_ADDR), host:port.
	Addr string
	// TenantsFile is the path of the tenants file (SWITCHBOARD_TENANTS_FILE);
	// empty only in sandbox mode.
	TenantsFile string
	// RedisURL (SWITCHBOARD_REDIS_URL) is a redis://, rediss:// or unix://
	// URL; it may carry a password, hence a Secret. Empty means in-memory
	// stores and a single replica.
	RedisURL domain.Secret
	// JWTSecret is the HS256 key for caller tokens (SWITCHBOARD_JWT_SECRET),
	// at least MinJWTSecretSize bytes; empty when HS256 is not accepted.
	JWTSecret domain.Secret
	// JWTPublicKeyFile is the path of the PEM public key(s) for RS256/ES256
	// (SWITCHBOARD_JWT_PUBLIC_KEY_FILE). Load does not read it; the auth
	// package does, and reports its own errors.
	JWTPublicKeyFile string
	// JWTJWKSURL is the JWKS URL of the callers' identity provider
	// (SWITCHBOARD_JWT_JWKS_URL): RS256/ES256 keys chosen by "kid". Empty
	// means no JWKS. Load checks its shape only; the auth package fetches it.
	JWTJWKSURL string
	// JWTAudience is the required "aud" (SWITCHBOARD_JWT_AUDIENCE).
	JWTAudience string
	// EncryptionKey holds the EncryptionKeySize raw bytes decoded from
	// SWITCHBOARD_ENCRYPTION_KEY: []byte(EncryptionKey.Reveal()) is the key.
	// Empty is only possible without Redis or in sandbox mode.
	EncryptionKey domain.Secret
	// Sandbox (SWITCHBOARD_SANDBOX) starts the simulated upstreams.
	Sandbox bool
	// LogLevel is SWITCHBOARD_LOG_LEVEL.
	LogLevel slog.Level
	// UpstreamTimeout bounds one upstream request
	// (SWITCHBOARD_UPSTREAM_TIMEOUT), in (0, 60s].
	UpstreamTimeout time.Duration
	// IdempotencyLease (SWITCHBOARD_IDEMPOTENCY_LEASE), in (0, 60s], is how
	// long a keyed POST's claim is held before, its replica presumed dead,
	// the key answers 504 retriable false. Keep it above the time an action
	// may take (a login and the action, each up to UpstreamTimeout).
	IdempotencyLease time.Duration
	// ShutdownTimeout bounds the graceful shutdown
	// (SWITCHBOARD_SHUTDOWN_TIMEOUT), in (0, 10m].
	ShutdownTimeout time.Duration
	// PprofAddr, when set (SWITCHBOARD_PPROF_ADDR), is the address of a
	// separate net/http/pprof listener; keep it on loopback or an internal
	// interface. Empty means off.
	PprofAddr string
	// SandboxLatency (SWITCHBOARD_SANDBOX_LATENCY) delays every answer of
	// the simulated upstreams in sandbox mode, to rehearse a slow upstream;
	// 0 (unset) means none, at most 10s.
	SandboxLatency time.Duration
	// RedisPrefix (SWITCHBOARD_REDIS_PREFIX) starts every Redis key, so that
	// several deployments can share one Redis. Default DefaultRedisPrefix.
	RedisPrefix string
	// Tenants are the tenants file's entries in file order; nil in sandbox
	// mode without a file.
	Tenants []Tenant
}

// Tenant returns the tenant with the given id. It scans the list, which is
// short; callers on a hot path may index Tenants once themselves.
func (c *Config) Tenant(id string) (*Tenant, bool) {
	for i := range c.Tenants {
		if c.Tenants[i].ID == id {
			return &c.Tenants[i], true
		}
	}
	return nil, false
}

// LogValue implements slog.LogValuer with the non-secret settings, for the
// start-up log line. Secrets appear only as whether they are configured.
func (c *Config) LogValue() slog.Value {
	ids := make([]string, len(c.Tenants))
	for i, t := range c.Tenants {
		ids[i] = t.ID
	}
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.Bool("sandbox", c.Sandbox),
		slog.String("tenants_file", c.TenantsFile),
		slog.Any("tenants", ids),
		slog.Bool("redis", c.RedisURL != ""),
		slog.Bool("jwt_hs256", c.JWTSecret != ""),
		slog.String("jwt_public_key_file", c.JWTPublicKeyFile),
		slog.Bool("jwt_jwks", c.JWTJWKSURL != ""),
		slog.String("jwt_audience", c.JWTAudience),
		slog.Bool("encryption_key", c.EncryptionKey != ""),
		slog.String("log_level", c.LogLevel.String()),
		slog.Duration("upstream_timeout", c.UpstreamTimeout),
		slog.Duration("idempotency_lease", c.IdempotencyLease),
		slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.String("pprof_addr", c.PprofAddr),
	)
}
