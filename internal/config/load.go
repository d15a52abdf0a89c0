package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"switchboard/internal/domain"
	"switchboard/internal/idempotency"
)

// Load builds the configuration from SWITCHBOARD_* variables read through
// getenv and, when SWITCHBOARD_TENANTS_FILE is set, the tenants file read
// through readFile. A nil getenv is an empty environment; a nil readFile is
// os.ReadFile. Injecting both keeps tests free of the process environment.
//
// Defaults are applied, every value and the rules that span values are
// checked, and every problem found is reported at once: the error wraps an
// Errors naming each field. No message contains a secret or a variable's
// value.
//
// In sandbox mode the tenants file, JWT secret and encryption key may be
// missing; they are left empty, and the program supplies them.
func Load(getenv func(string) string, readFile func(string) ([]byte, error)) (*Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if readFile == nil {
		readFile = os.ReadFile
	}
	e := &envReader{getenv: getenv}
	c := &Config{
		Addr:             e.hostPort(envAddr, DefaultAddr),
		TenantsFile:      getenv(envTenantsFile),
		RedisURL:         e.redisURL(envRedisURL),
		JWTSecret:        domain.Secret(getenv(envJWTSecret)),
		JWTPublicKeyFile: getenv(envJWTPublicKeyFile),
		JWTJWKSURL:       e.jwksURL(envJWTJWKSURL),
		JWTAudience:      getenv(envJWTAudience),
		EncryptionKey:    e.encryptionKey(envEncryptionKey),
		Sandbox:          e.boolean(envSandbox),
		LogLevel:         e.logLevel(envLogLevel),
		UpstreamTimeout:  e.duration(envUpstreamTimeout, DefaultUpstreamTimeout, maxUpstreamTimeout),
		ShutdownTimeout:  e.duration(envShutdownTimeout, DefaultShutdownTimeout, maxShutdownTimeout),
		PprofAddr:        e.hostPort(envPprofAddr, ""),
		SandboxLatency:   e.duration(envSandboxLatency, 0, maxSandboxLatency),
		RedisPrefix:      e.redisPrefix(envRedisPrefix),
		IdempotencyLease: e.duration(envIdempotencyLease, idempotency.DefaultLease, idempotency.MaxLease),
	}
	if c.JWTAudience == "" {
		c.JWTAudience = DefaultJWTAudience
	}
	errs := e.errs
	if c.TenantsFile != "" {
		tenants, terrs := loadTenants(c.TenantsFile, readFile, getenv)
		c.Tenants = tenants
		errs = append(errs, terrs...)
	}
	checkAcrossSettings(c, &errs)
	if err := errs.err(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// loadTenants reads and parses the tenants file. A read error is reported
// without the path (it is the variable's value, which the operator knows)
// and keeps the cause for errors.Is(err, fs.ErrNotExist).
func loadTenants(path string, readFile func(string) ([]byte, error), getenv func(string) string) ([]Tenant, Errors) {
	data, err := readFile(path)
	if err != nil {
		msg := "cannot be read"
		var pe *fs.PathError
		if errors.As(err, &pe) {
			msg = "cannot be read: " + pe.Op + ": " + pe.Err.Error()
		}
		return nil, Errors{{Field: envTenantsFile, Message: msg, Err: err}}
	}
	return parseTenants(data, getenv)
}

// checkAcrossSettings enforces the rules that tie settings together. Outside
// sandbox mode the gateway must know its tenants and be able to verify
// tokens; with Redis, tokens at rest must be encrypted with a key every
// replica shares, which only the environment can provide. Sandbox mode
// generates what is missing, per process.
func checkAcrossSettings(c *Config, errs *Errors) {
	if n := len(c.JWTSecret.Reveal()); n > 0 && n < MinJWTSecretSize {
		errs.add(envJWTSecret, 0, "is too weak: an HS256 key needs at least %d bytes (openssl rand -base64 32)", MinJWTSecretSize)
	}
	if c.Sandbox {
		return
	}
	if c.TenantsFile == "" {
		errs.add(envTenantsFile, 0, "is required unless %s=true", envSandbox)
	}
	if c.JWTSecret == "" && c.JWTPublicKeyFile == "" && c.JWTJWKSURL == "" && !errs.has(envJWTJWKSURL) {
		errs.add(envJWTSecret, 0, "is required (or set %s or %s) unless %s=true", envJWTPublicKeyFile, envJWTJWKSURL, envSandbox)
	}
	// An invalid key has its own message already.
	if c.RedisURL != "" && c.EncryptionKey == "" && !errs.has(envEncryptionKey) {
		errs.add(envEncryptionKey, 0, "is required when %s is set, unless %s=true", envRedisURL, envSandbox)
	}
}
