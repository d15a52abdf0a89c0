package config

import (
	"encoding/base64"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"switchboard/internal/domain"
)

// The environment variables Load reads (SPEC §1).
const (
	envAddr             = "SWITCHBOARD_ADDR"
	envTenantsFile      = "SWITCHBOARD_TENANTS_FILE"
	envRedisURL         = "SWITCHBOARD_REDIS_URL"
	envJWTSecret        = "SWITCHBOARD_JWT_SECRET"
	envJWTPublicKeyFile = "SWITCHBOARD_JWT_PUBLIC_KEY_FILE"
	envJWTAudience      = "SWITCHBOARD_JWT_AUDIENCE"
	envEncryptionKey    = "SWITCHBOARD_ENCRYPTION_KEY"
	envSandbox          = "SWITCHBOARD_SANDBOX"
	envLogLevel         = "SWITCHBOARD_LOG_LEVEL"
	envUpstreamTimeout  = "SWITCHBOARD_UPSTREAM_TIMEOUT"
	envShutdownTimeout  = "SWITCHBOARD_SHUTDOWN_TIMEOUT"
	envPprofAddr        = "SWITCHBOARD_PPROF_ADDR"
	envSandboxLatency   = "SWITCHBOARD_SANDBOX_LATENCY"
	envRedisPrefix      = "SWITCHBOARD_REDIS_PREFIX"
	envIdempotencyLease = "SWITCHBOARD_IDEMPOTENCY_LEASE"
	envJWTJWKSURL       = "SWITCHBOARD_JWT_JWKS_URL"
)

// envReader reads and checks single variables, collecting problems. An empty
// variable counts as unset, as it does for most Unix tools. No message quotes
// a value: several of these variables hold secrets, and the rest are not
// worth the risk of a misplaced one.
type envReader struct {
	getenv func(string) string
	errs   Errors
}

// hostPort reads a listen address; def when unset.
func (e *envReader) hostPort(name, def string) string {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	if !validHostPort(v) {
		e.errs.add(name, 0, "must be a listen address host:port with a numeric port, such as :8080 or 127.0.0.1:6060")
		return def
	}
	return v
}

// boolean reads "true"/"false"/"1"/"0" (case-insensitive); false when unset.
// Anything else is an error rather than false, so that SANDBOX=yes does not
// silently start a production gateway, nor the reverse.
func (e *envReader) boolean(name string) bool {
	switch strings.ToLower(e.getenv(name)) {
	case "", "false", "0":
		return false
	case "true", "1":
		return true
	}
	e.errs.add(name, 0, "must be true, false, 1 or 0")
	return false
}

// logLevel reads debug/info/warn/error (case-insensitive); info when unset.
func (e *envReader) logLevel(name string) slog.Level {
	switch strings.ToLower(e.getenv(name)) {
	case "", "info":
		return slog.LevelInfo
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	e.errs.add(name, 0, "must be debug, info, warn or error")
	return slog.LevelInfo
}

// duration reads a Go duration in (0, max]; def when unset.
func (e *envReader) duration(name string, def, max time.Duration) time.Duration {
	v := e.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		// ParseDuration's message quotes the input.
		e.errs.add(name, 0, "must be a Go duration such as 15s or 1m30s")
	case d <= 0 || d > max:
		e.errs.add(name, 0, "must be more than 0 and at most %s", max)
	default:
		return d
	}
	return def
}

// redisURL reads an optional Redis URL. The URL may carry a password, so it
// goes into a Secret and no message, nor url.Parse's error, repeats it.
func (e *envReader) redisURL(name string) domain.Secret {
	v := e.getenv(name)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	switch {
	case err != nil:
		e.errs.add(name, 0, "is not a valid URL")
	case u.Scheme == "redis" || u.Scheme == "rediss":
		if u.Host == "" {
			e.errs.add(name, 0, "must name a host, as in redis://host:6379/0")
			return ""
		}
		return domain.Secret(v)
	case u.Scheme == "unix":
		if u.Path == "" {
			e.errs.add(name, 0, "must name a socket path, as in unix:///run/redis.sock")
			return ""
		}
		return domain.Secret(v)
	default:
		e.errs.add(name, 0, "must be a redis://, rediss:// or unix:// URL")
	}
	return ""
}

// encryptionKey reads an optional standard-base64 key of EncryptionKeySize
// bytes and returns the raw bytes.
func (e *envReader) encryptionKey(name string) domain.Secret {
	v := e.getenv(name)
	if v == "" {
		return ""
	}
	key, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(key) != EncryptionKeySize {
		e.errs.add(name, 0, "must be %d random bytes in standard base64 (openssl rand -base64 32)", EncryptionKeySize)
		return ""
	}
	return domain.Secret(key)
}

// redisPrefix reads a Redis key prefix: 1–64 characters of letters, digits
// and ":_-.", so it can never break a key's hash tag; DefaultRedisPrefix
// when unset.
func (e *envReader) redisPrefix(name string) string {
	v := e.getenv(name)
	if v == "" {
		return DefaultRedisPrefix
	}
	if len(v) > 64 || strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_-.") != "" {
		e.errs.add(name, 0, "must be 1 to 64 letters, digits, ':', '_', '-' or '.'")
		return DefaultRedisPrefix
	}
	return v
}

// jwksURL reads an optional JWKS URL: absolute http or https, with a host,
// without user info (a credential in a URL ends up in logs) or fragment. http
// is allowed for an identity provider reached over a private network or
// loopback. No message quotes the value.
func (e *envReader) jwksURL(name string) string {
	v := e.getenv(name)
	if v == "" {
		return ""
	}
	u, err := url.Parse(v)
	switch {
	case err != nil:
		e.errs.add(name, 0, "is not a valid URL")
	case u.Scheme != "http" && u.Scheme != "https":
		e.errs.add(name, 0, "must be an absolute https (or http) URL")
	case u.Opaque != "" || u.Hostname() == "":
		e.errs.add(name, 0, "must have a host")
	case u.User != nil:
		e.errs.add(name, 0, "must not contain user info")
	case u.Fragment != "" || strings.Contains(v, "#"):
		e.errs.add(name, 0, "must not have a fragment")
	default:
		return v
	}
	return ""
}
