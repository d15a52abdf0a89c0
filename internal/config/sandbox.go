package config

import (
	"fmt"
	"slices"

	"switchboard/internal/domain"
)

// SandboxAdditions is what sandbox mode adds to a loaded configuration: the
// demo tenant wired to the simulated upstreams, and the keys it generates
// when the environment sets none.
type SandboxAdditions struct {
	Tenant Tenant
	// JWTSecret is used when neither SWITCHBOARD_JWT_SECRET nor a public
	// key file is configured.
	JWTSecret domain.Secret
	// EncryptionKey is used when SWITCHBOARD_ENCRYPTION_KEY is unset.
	EncryptionKey domain.Secret
}

// WithSandbox returns a new Config: c with the sandbox's additions. c itself
// is not modified, so a Config stays what Load returned. The demo tenant's
// id must not be one of the file's.
func (c *Config) WithSandbox(a SandboxAdditions) (*Config, error) {
	if _, taken := c.Tenant(a.Tenant.ID); taken {
		return nil, fmt.Errorf("config: SWITCHBOARD_TENANTS_FILE: tenant id %q is reserved in sandbox mode", a.Tenant.ID)
	}
	out := *c
	out.Tenants = append(slices.Clone(c.Tenants), a.Tenant)
	if out.JWTSecret == "" && out.JWTPublicKeyFile == "" {
		out.JWTSecret = a.JWTSecret
	}
	if out.EncryptionKey == "" {
		out.EncryptionKey = a.EncryptionKey
	}
	return &out, nil
}
