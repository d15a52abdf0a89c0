package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	"switchboard/internal/domain"
)

// The run's topology: six tenants on three Phonewagon accounts, so that
// every account's budget is shared by two tenants (SPEC §5), three
// mirrored tenants on two live, mirrored accounts (t7 and t8 share one,
// and its mirror and event log; t9 has the other), and three CallWidget
// logins, paired differently so that tenants sharing a budget do not also
// share a login.
const (
	numTenants    = 9
	numPWAccounts = 5
	numCWUsers    = 3
	// firstMirrored is the index of the first mirrored tenant and of the
	// first live, mirrored Phonewagon account.
	firstMirroredTenant  = 6
	firstMirroredAccount = 3
	// budgetPerMinute is every account's budget_per_minute and the
	// simulator's RatePerMinute: the real upstream limit.
	budgetPerMinute = 50
)

// tenantSpec is one tenant and the upstream accounts it uses.
type tenantSpec struct {
	ID        string
	PWAccount int // index of its Phonewagon account
	CWUser    int // index of its CallWidget login
	// Mirror: its account is live and mirrored (SPEC §7), and the tenant
	// has webhook endpoints (SPEC §8).
	Mirror bool
}

// mirroredAccount says whether the Phonewagon account of index i is live
// and mirrored.
func mirroredAccount(i int) bool { return i >= firstMirroredAccount }

// topology lists the tenants.
func topology() []tenantSpec {
	out := make([]tenantSpec, numTenants)
	for i := range out {
		out[i] = tenantSpec{ID: fmt.Sprintf("t%d", i+1), PWAccount: i / 2, CWUser: i % numCWUsers}
		if i >= firstMirroredTenant {
			out[i].Mirror = true
			out[i].PWAccount = firstMirroredAccount + (i-firstMirroredTenant)/2
		}
	}
	return out
}

// pwClientID and cwEmail name the upstream accounts.
func pwClientID(i int) string { return fmt.Sprintf("soak-pw-%d", i+1) }
func cwEmail(i int) string    { return fmt.Sprintf("ops%d@soak.example", i+1) }

// credentials are the run's upstream secrets, random for every run. They
// reach the replicas only through environment variables named in the
// tenants file, never in the file itself.
type credentials struct {
	PWSecrets   []domain.Secret
	CWPasswords []domain.Secret
	JWTSecret   domain.Secret
	// WebhookSecrets are the receivers' whsec_ secrets, by receiver index.
	WebhookSecrets []domain.Secret
	// EncryptionKey is SWITCHBOARD_ENCRYPTION_KEY, already base64.
	EncryptionKey domain.Secret
}

// newCredentials draws every secret from crypto/rand.
func newCredentials() credentials {
	c := credentials{
		JWTSecret:     domain.Secret(randomHex(32)),
		EncryptionKey: domain.Secret(randomBase64(32)),
	}
	for range numPWAccounts {
		c.PWSecrets = append(c.PWSecrets, domain.Secret(randomHex(16)))
	}
	for range numCWUsers {
		c.CWPasswords = append(c.CWPasswords, domain.Secret(randomHex(16)))
	}
	for range receiverSpecs() {
		c.WebhookSecrets = append(c.WebhookSecrets, domain.Secret("whsec_"+randomBase64(32)))
	}
	return c
}

// secretEnv is the environment the tenants file refers to.
func (c credentials) secretEnv() []string {
	var env []string
	for i, s := range c.PWSecrets {
		env = append(env, fmt.Sprintf("SOAK_PW_SECRET_%d=%s", i+1, s.Reveal()))
	}
	for i, s := range c.CWPasswords {
		env = append(env, fmt.Sprintf("SOAK_CW_PASSWORD_%d=%s", i+1, s.Reveal()))
	}
	for i, s := range c.WebhookSecrets {
		env = append(env, fmt.Sprintf("SOAK_WEBHOOK_SECRET_%d=%s", i+1, s.Reveal()))
	}
	return env
}

// The mirror block of every mirrored account: a follow every 5 s (the
// least allowed) and a revisit every 15 s, so that a short run sees many
// of both.
const (
	mirrorSyncInterval    = 5 * time.Second
	mirrorRevisit         = 10 * time.Minute
	mirrorRevisitInterval = 15 * time.Second
	// mirroredExtraRate is added to a mirrored tenant's inbound limit for
	// what the soak sends it besides the workload: its SSE clients'
	// reconnections and the sync sampling.
	mirroredExtraRate = 60
)

// writeTenantsFile writes the tenants file for the simulators at cwURL
// (CallWidget base URL, /api/v1 included) and pwURL to path; webhookURLs
// are the receivers' URLs, by receiver index.
func writeTenantsFile(path, cwURL, pwURL string, rateLimit int, webhookURLs []string) error {
	var b strings.Builder
	b.WriteString("tenants:\n")
	for _, t := range topology() {
		fmt.Fprintf(&b, "  - id: %s\n", t.ID)
		fmt.Fprintf(&b, "    callwidget: {base_url: %q, email: %q, password: \"${SOAK_CW_PASSWORD_%d}\"}\n",
			cwURL, cwEmail(t.CWUser), t.CWUser+1)
		mirror := ""
		if t.Mirror {
			mirror = fmt.Sprintf(", mirror: {sync_interval: %s, revisit: %s, revisit_interval: %s}",
				mirrorSyncInterval, mirrorRevisit, mirrorRevisitInterval)
		}
		fmt.Fprintf(&b, "    phonewagon: {base_url: %q, client_id: %q, client_secret: \"${SOAK_PW_SECRET_%d}\", budget_per_minute: %d%s}\n",
			pwURL, pwClientID(t.PWAccount), t.PWAccount+1, budgetPerMinute, mirror)
		if t.Mirror {
			b.WriteString("    webhooks:\n")
			for i, rs := range receiverSpecs() {
				if rs.Tenant != t.ID {
					continue
				}
				fmt.Fprintf(&b, "      - {url: %q, secret: \"${SOAK_WEBHOOK_SECRET_%d}\"", webhookURLs[i], i+1)
				if len(rs.Types) > 0 {
					fmt.Fprintf(&b, ", events: [%s]", strings.Join(rs.Types, ", "))
				}
				b.WriteString("}\n")
			}
		}
		limit := rateLimit
		if t.Mirror {
			limit += mirroredExtraRate
		}
		fmt.Fprintf(&b, "    rate_limit_per_minute: %d\n", limit)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write tenants file: %w", err)
	}
	return nil
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on Linux (crypto/rand docs)
	return hex.EncodeToString(b)
}

// randomBase64 returns n random bytes in standard base64.
func randomBase64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
