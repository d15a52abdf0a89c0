package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"switchboard/internal/domain"
)

// Defaults and limits of Config.
const (
	// DefaultAudience is the "aud" a token must contain unless configured.
	DefaultAudience = "switchboard"
	// MaxLeeway is the largest clock skew tolerated for exp, nbf and iat
	// (SPEC §2); it is also the default.
	MaxLeeway = 30 * time.Second
	// DefaultMaxTokenBytes bounds the token length when not configured.
	DefaultMaxTokenBytes = 8192
	// DefaultCacheSize is the number of verified tokens remembered when not
	// configured.
	DefaultCacheSize = 10000
	// MinHMACSecretBytes is the shortest HS256 secret accepted: RFC 7518
	// §3.2 requires a key at least as long as the hash output.
	MinHMACSecretBytes = 32
)

// Config configures a Verifier. Zero fields mean the documented defaults.
type Config struct {
	// HMACSecret, when set, enables HS256. It must be at least
	// MinHMACSecretBytes long.
	HMACSecret domain.Secret
	// PublicKeysPEM holds one or more PEM blocks: "PUBLIC KEY" (PKIX, RSA or
	// EC P-256), "RSA PUBLIC KEY" (PKCS #1) or "CERTIFICATE". An RSA key
	// (at least 2048 bits) enables RS256, a P-256 key enables ES256.
	PublicKeysPEM []byte
	// JWKSURL, when set, is the identity provider's key set: RS256 and ES256
	// keys chosen by a token's "kid", refreshed every JWKSRefreshInterval
	// and, for an unknown kid, at most once per JWKSMinRefreshInterval. It
	// enables RS256 and ES256 and nothing else.
	JWKSURL string
	// JWKSClient fetches the key set. Default: a client with a 5 s timeout.
	JWKSClient *http.Client
	// JWKSRefreshInterval defaults to DefaultJWKSRefreshInterval.
	JWKSRefreshInterval time.Duration
	// JWKSMinRefreshInterval defaults to DefaultJWKSMinRefreshInterval; it
	// may not exceed JWKSRefreshInterval.
	JWKSMinRefreshInterval time.Duration
	// Logger receives key set refresh failures. Default: discarded.
	Logger *slog.Logger
	// Audience must appear in every token's "aud". Default DefaultAudience.
	Audience string
	// Leeway is the clock skew tolerated for exp, nbf and iat. Zero means
	// MaxLeeway; a negative value or one above MaxLeeway is an error.
	Leeway time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// MaxTokenBytes rejects longer tokens before any parsing. Zero means
	// DefaultMaxTokenBytes; negative is an error.
	MaxTokenBytes int
	// CacheSize bounds the cache of successful verifications, which lets a
	// token seen again skip the signature check. Zero means
	// DefaultCacheSize; negative turns the cache off.
	CacheSize int
}

// withDefaults validates cfg and returns it with every zero field defaulted.
// Errors never include the secret or key material.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.HMACSecret == "" && len(cfg.PublicKeysPEM) == 0 && cfg.JWKSURL == "" {
		return cfg, errors.New("no key configured: set an HMAC secret, public keys or a JWKS URL")
	}
	if cfg.HMACSecret != "" && len(cfg.HMACSecret.Reveal()) < MinHMACSecretBytes {
		return cfg, fmt.Errorf("HMAC secret is shorter than %d bytes", MinHMACSecretBytes)
	}
	if cfg.Audience == "" {
		cfg.Audience = DefaultAudience
	}
	switch {
	case cfg.Leeway == 0:
		cfg.Leeway = MaxLeeway
	case cfg.Leeway < 0:
		return cfg, fmt.Errorf("leeway %s is negative", cfg.Leeway)
	case cfg.Leeway > MaxLeeway:
		return cfg, fmt.Errorf("leeway %s is above the maximum of %s", cfg.Leeway, MaxLeeway)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch {
	case cfg.MaxTokenBytes == 0:
		cfg.MaxTokenBytes = DefaultMaxTokenBytes
	case cfg.MaxTokenBytes < 0:
		return cfg, fmt.Errorf("max token bytes %d is negative", cfg.MaxTokenBytes)
	}
	if cfg.JWKSClient == nil {
		cfg.JWKSClient = &http.Client{Timeout: jwksFetchTimeout}
	}
	if cfg.JWKSRefreshInterval == 0 {
		cfg.JWKSRefreshInterval = DefaultJWKSRefreshInterval
	}
	if cfg.JWKSMinRefreshInterval == 0 {
		cfg.JWKSMinRefreshInterval = DefaultJWKSMinRefreshInterval
	}
	if cfg.JWKSRefreshInterval < 0 || cfg.JWKSMinRefreshInterval < 0 || cfg.JWKSMinRefreshInterval > cfg.JWKSRefreshInterval {
		return cfg, fmt.Errorf("JWKS refresh intervals %s (minimum %s) must be positive, the minimum not above the interval",
			cfg.JWKSRefreshInterval, cfg.JWKSMinRefreshInterval)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	return cfg, nil
}
