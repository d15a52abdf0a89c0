package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/config"
	"switchboard/internal/domain"
	"switchboard/internal/sandbox/callwidgetsim"
	"switchboard/internal/sandbox/phonewagonsim"
)

// Sandbox-mode constants: the demo tenant and the lifetime of the printed token.
const (
	demoTenantID   = "demo"
	demoEmail      = "demo@sandbox.callwidget.test"
	demoClientID   = "demo-client"
	demoTokenTTL   = 24 * time.Hour
	demoSubject    = "sandbox-user"
	sandboxAddress = "127.0.0.1:0"
)

// sandbox is the pair of simulated upstreams running inside the process.
type sandbox struct {
	tenant  config.Tenant
	servers []*http.Server
}

// startSandbox starts both simulators on loopback listeners and returns the
// demo tenant wired to them. Its credentials are random per process: they
// exist only between this process and its own simulators.
func startSandbox(cfg *config.Config, logger *slog.Logger) (*sandbox, error) {
	password, secret := randomSecret(), randomSecret()
	cw, err := callwidgetsim.New(callwidgetsim.Config{
		Users:   []callwidgetsim.User{{Email: demoEmail, Password: password, Seed: 1, Examples: true}},
		Latency: cfg.SandboxLatency,
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: callwidget: %w", err)
	}
	pw, err := phonewagonsim.New(phonewagonsim.Config{
		// A live account: a few calls a minute arrive in-progress and
		// complete later, for the mirror to follow; it holds the documented
		// examples.
		Accounts: []phonewagonsim.Account{{ClientID: demoClientID, ClientSecret: secret, Seed: 1, Examples: true,
			ArrivalEvery: phonewagonsim.SandboxArrivalEvery}},
		// The newest sample call is an hour old, so "recent" queries find data.
		Anchor:  time.Now().UTC().Truncate(time.Hour).Add(-time.Hour),
		Latency: cfg.SandboxLatency,
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: phonewagon: %w", err)
	}
	sb := &sandbox{}
	cwURL, err := sb.listen(cw, logger)
	if err != nil {
		return nil, err
	}
	pwURL, err := sb.listen(pw, logger)
	if err != nil {
		sb.close()
		return nil, err
	}
	hookURL, err := sb.listen(http.HandlerFunc(sandboxReceiver), logger)
	if err != nil {
		sb.close()
		return nil, err
	}
	cwBase, _ := url.Parse(cwURL + "/api/v1")
	pwBase, _ := url.Parse(pwURL)
	hookBase, _ := url.Parse(hookURL + "/hooks/switchboard")
	sb.tenant = config.Tenant{
		ID:         demoTenantID,
		CallWidget: &config.CallWidget{BaseURL: cwBase, Email: demoEmail, Password: password},
		Phonewagon: &config.Phonewagon{BaseURL: pwBase, ClientID: demoClientID, ClientSecret: secret,
			BudgetPerMinute: config.DefaultBudgetPerMinute, Mirror: &config.Mirror{
				Retention:       config.DefaultMirrorRetention,
				SyncInterval:    config.DefaultMirrorSyncInterval,
				Revisit:         config.DefaultMirrorRevisit,
				RevisitInterval: config.DefaultMirrorRevisitInterval,
			}},
		// A webhook endpoint in the sandbox itself, so that GET /v1/webhooks
		// shows a delivery state from the first call.
		Webhooks:           []config.Webhook{{URL: hookBase, Secret: webhookSecret()}},
		RateLimitPerMinute: config.DefaultRateLimitPerMinute,
	}
	return sb, nil
}

// sandboxReceiver is the demo tenant's webhook endpoint: it takes every
// delivery (reading at most 1 MiB of it) and answers 204.
func sandboxReceiver(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	w.WriteHeader(http.StatusNoContent)
}

// webhookSecret returns a random Standard Webhooks secret: "whsec_" and
// the base64 of 32 random bytes.
func webhookSecret() domain.Secret {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return domain.Secret("whsec_" + base64.StdEncoding.EncodeToString(b[:]))
}

func (sb *sandbox) listen(h http.Handler, logger *slog.Logger) (string, error) {
	ln, err := net.Listen("tcp", sandboxAddress)
	if err != nil {
		return "", fmt.Errorf("sandbox: listen: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	sb.servers = append(sb.servers, srv)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("sandbox server stopped", "error", err.Error())
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// additions returns what sandbox mode adds to the configuration: the demo
// tenant, and keys for callers' tokens and for encryption, random per
// process, used where the environment sets none.
func (sb *sandbox) additions() config.SandboxAdditions {
	var key [config.EncryptionKeySize]byte
	_, _ = rand.Read(key[:])
	return config.SandboxAdditions{Tenant: sb.tenant, JWTSecret: randomSecret(), EncryptionKey: domain.Secret(key[:])}
}

// close stops the simulators; the gateway has finished its requests by then.
func (sb *sandbox) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, s := range sb.servers {
		_ = s.Shutdown(ctx)
	}
}

// demoToken mints the caller token printed in sandbox mode: tenant demo,
// every scope, valid for a day.
func demoToken(secret domain.Secret, audience string) (string, error) {
	now := time.Now()
	return auth.SignHS256(secret, auth.Claims{
		Subject:   demoSubject,
		Tenant:    demoTenantID,
		Audience:  []string{audience},
		Scopes:    auth.KnownScopes(),
		IssuedAt:  now,
		ExpiresAt: now.Add(demoTokenTTL),
	})
}

// printBanner tells a newcomer how to reach the sandbox gateway.
func printBanner(w io.Writer, baseURL, token string) {
	fmt.Fprintf(w, `
Switchboard is running in sandbox mode on %[1]s
  Swagger UI   %[1]s/docs  (Authorize with the token below)
  Caller token (tenant "demo", every scope, valid 24 h):
%[2]s
  Try it:
curl -sS -H 'Authorization: Bearer %[2]s' '%[1]s/v1/tags'
  The demo account's call history is mirrored (synced in the background, a few seconds to backfill):
curl -sS -H 'Authorization: Bearer %[2]s' '%[1]s/v1/sync'
  Once it says "following", calls are answered from the mirror (see X-Cache: MIRROR and X-Synced-At):
curl -sS -i -H 'Authorization: Bearer %[2]s' '%[1]s/v1/calls?limit=2'
  Watch new and changed calls as server-sent events (Ctrl-C to stop):
curl -N -H 'Authorization: Bearer %[2]s' '%[1]s/v1/events'

`, baseURL, token)
}

func randomSecret() domain.Secret {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return domain.Secret(base64.RawURLEncoding.EncodeToString(b[:]))
}
