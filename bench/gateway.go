package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
)

// CPUs of the load runs: the server measured, and the load generator with
// the simulated upstream (a remote machine in production).
const (
	serverCPU = 0
	loadCPU   = 1
)

// tenantSpec is one tenant of a generated tenants file.
type tenantSpec struct {
	ID string
	// PhonewagonURL and ClientID name the tenant's Phonewagon account at a
	// simulator whose secret is upstreamSecret.
	PhonewagonURL, ClientID string
	Budget                  int // budget_per_minute
	RateLimit               int // rate_limit_per_minute; 0 = the default
	// CallWidgetURL and Email name a CallWidget login (password
	// callWidgetPassword); empty for none.
	CallWidgetURL, Email string
	// Mirror is the account's mirror block in YAML flow style ("{}" for
	// every default); empty for no mirror.
	Mirror string
	// WebhookURL and WebhookSecret name one webhook endpoint receiving
	// call.created; empty for none (it needs Mirror).
	WebhookURL, WebhookSecret string
}

// callWidgetPassword is the password of every simulated CallWidget login.
const callWidgetPassword = domain.Secret("bench-callwidget-password")

// writeTenants writes a tenants file to path. The secrets are written in
// clear: the file lives in the run's private temporary directory, and the
// secrets exist only between the gateway and the bench's simulators.
func writeTenants(path string, tenants []tenantSpec) error {
	var b strings.Builder
	b.WriteString("tenants:\n")
	for _, t := range tenants {
		fmt.Fprintf(&b, "  - id: %s\n", t.ID)
		if t.Email != "" {
			fmt.Fprintf(&b, "    callwidget: {base_url: %q, email: %q, password: %q}\n",
				t.CallWidgetURL, t.Email, callWidgetPassword.Reveal())
		}
		if t.ClientID != "" {
			mirror := ""
			if t.Mirror != "" {
				mirror = ", mirror: " + t.Mirror
			}
			fmt.Fprintf(&b, "    phonewagon: {base_url: %q, client_id: %q, client_secret: %q, budget_per_minute: %d%s}\n",
				t.PhonewagonURL, t.ClientID, upstreamSecret.Reveal(), t.Budget, mirror)
		}
		if t.WebhookURL != "" {
			fmt.Fprintf(&b, "    webhooks: [{url: %q, secret: %q, events: [call.created]}]\n", t.WebhookURL, t.WebhookSecret)
		}
		if t.RateLimit > 0 {
			fmt.Fprintf(&b, "    rate_limit_per_minute: %d\n", t.RateLimit)
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// gatewayConfig is what differs between the gateways a run starts.
type gatewayConfig struct {
	CPU         int    // -1: unpinned
	TenantsFile string // required
	// RedisPrefix, when set, puts the gateway on the run's Redis under
	// this prefix; otherwise it uses the in-memory stores.
	RedisPrefix string
}

// gateway is a running gateway process.
type gateway struct {
	URL   string
	child *child
}

// startGateway starts the gateway binary with cfg and waits until /healthz
// answers. The access log stays at info, as in production, into /dev/null.
func (r *runner) startGateway(ctx context.Context, cfg gatewayConfig) (*gateway, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	env := []string{
		"SWITCHBOARD_ADDR=" + addr,
		"SWITCHBOARD_TENANTS_FILE=" + cfg.TenantsFile,
		"SWITCHBOARD_JWT_SECRET=" + r.jwtSecret.Reveal(),
		"SWITCHBOARD_LOG_LEVEL=info",
		"SWITCHBOARD_SHUTDOWN_TIMEOUT=2s",
	}
	if cfg.RedisPrefix != "" {
		env = append(env,
			"SWITCHBOARD_REDIS_URL="+r.redis.url,
			"SWITCHBOARD_REDIS_PREFIX="+cfg.RedisPrefix,
			"SWITCHBOARD_ENCRYPTION_KEY="+r.encryptionKey.Reveal())
	}
	c, err := r.procs.start(cfg.CPU, env, r.gatewayBin)
	if err != nil {
		return nil, err
	}
	g := &gateway{URL: "http://" + addr, child: c}
	if err := waitHTTP(ctx, c, g.URL+"/healthz"); err != nil {
		r.procs.stop(c)
		return nil, fmt.Errorf("gateway: %w", err)
	}
	return g, nil
}

// get sends GET path with bearer and returns the status, X-Cache and body.
func (g *gateway) get(ctx context.Context, path, bearer string) (status int, xcache string, body []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.URL+path, nil)
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Cache"), body, err
}

// warm fills the cache entry of path and checks that the next request is a
// hit; it returns the hit's body.
func (g *gateway) warm(ctx context.Context, path, bearer string) ([]byte, error) {
	for i := range 2 {
		status, xcache, body, err := g.get(ctx, path, bearer)
		if err != nil {
			return nil, fmt.Errorf("warming %s: %w", path, err)
		}
		if status != http.StatusOK {
			return nil, fmt.Errorf("warming %s: got status %d, want 200: %s", path, status, body)
		}
		if i == 1 {
			if xcache != "HIT" {
				return nil, fmt.Errorf("warming %s: got X-Cache %q on the second request, want HIT", path, xcache)
			}
			return body, nil
		}
	}
	panic("unreachable")
}

// checkNoMirror checks that the token's tenant keeps no mirror: GET /v1/sync
// answers 403 mirror-not-configured, so its reads of /v1/calls can only be
// cache hits or upstream requests.
func (g *gateway) checkNoMirror(ctx context.Context, bearer string) error {
	status, _, body, err := g.get(ctx, "/v1/sync", bearer)
	switch {
	case err != nil:
		return fmt.Errorf("GET /v1/sync: %w", err)
	case status != http.StatusForbidden || !strings.Contains(string(body), "mirror-not-configured"):
		return fmt.Errorf("GET /v1/sync: got status %d, want 403 mirror-not-configured: %.200s", status, body)
	}
	return nil
}

// callerToken mints a token of tenant with the read scopes, valid for the
// whole run.
func callerToken(secret domain.Secret, tenant string) (string, error) {
	return callerTokenAs(secret, tenant, "bench-"+tenant)
}

// callerTokenAs is callerToken for the calling app sub.
func callerTokenAs(secret domain.Secret, tenant, sub string) (string, error) {
	now := time.Now()
	return auth.SignHS256(secret, auth.Claims{
		Subject:   sub,
		Tenant:    tenant,
		Audience:  []string{"switchboard"},
		Scopes:    []auth.Scope{auth.ScopeCallsRead, auth.ScopeLookupsRead, auth.ScopeCampaignsRead},
		IssuedAt:  now,
		ExpiresAt: now.Add(3 * time.Hour),
	})
}

// randomKey returns n random bytes in standard base64.
func randomKey(n int) domain.Secret {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return domain.Secret(base64.StdEncoding.EncodeToString(b))
}
