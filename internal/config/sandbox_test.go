package config

import (
	"testing"

	"switchboard/internal/domain"
)

func TestWithSandbox(t *testing.T) {
	add := SandboxAdditions{Tenant: Tenant{ID: "demo"}, JWTSecret: "generated-jwt", EncryptionKey: "generated-key"}

	t.Run("the loaded Config is left as it was", func(t *testing.T) {
		loaded := &Config{Tenants: make([]Tenant, 1, 4)}
		loaded.Tenants[0] = Tenant{ID: "acme"}
		got, err := loaded.WithSandbox(add)
		if err != nil {
			t.Fatal(err)
		}
		if len(loaded.Tenants) != 1 || loaded.JWTSecret != "" || loaded.EncryptionKey != "" {
			t.Fatalf("the loaded Config changed: %d tenants, keys set %t %t", len(loaded.Tenants), loaded.JWTSecret != "", loaded.EncryptionKey != "")
		}
		if len(got.Tenants) != 2 || got.Tenants[1].ID != "demo" || got.JWTSecret != "generated-jwt" || got.EncryptionKey != "generated-key" {
			t.Fatalf("got tenants %v and keys %t %t, want acme, demo and the generated keys", got.Tenants, got.JWTSecret != "", got.EncryptionKey != "")
		}
		// The loaded slice had spare capacity: the demo tenant must not have
		// been written into it.
		if loaded.Tenants[:2][1].ID == "demo" {
			t.Fatal("the demo tenant was appended into the loaded Config's slice")
		}
	})
	t.Run("configured keys win over generated ones", func(t *testing.T) {
		got, err := (&Config{JWTPublicKeyFile: "/keys.pem", EncryptionKey: domain.Secret("configured")}).WithSandbox(add)
		if err != nil {
			t.Fatal(err)
		}
		if got.JWTSecret != "" || got.EncryptionKey != "configured" {
			t.Fatalf("got JWT secret set %t and encryption key %q, want none and the configured one", got.JWTSecret != "", got.EncryptionKey.Reveal())
		}
	})
	t.Run("the demo tenant's id is reserved", func(t *testing.T) {
		if _, err := (&Config{Tenants: []Tenant{{ID: "demo"}}}).WithSandbox(add); err == nil {
			t.Fatal("got no error for a file that defines tenant demo")
		}
	})
}
