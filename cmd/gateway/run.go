package main

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"switchboard/api"
	"switchboard/internal/auth"
	"switchboard/internal/config"
	"switchboard/internal/handlers"
	"switchboard/internal/metrics"
	"switchboard/internal/redislog"
	"switchboard/internal/telemetry"
)

// run is the whole program: it loads the configuration through getenv,
// serves until ctx is done, and shuts down gracefully. Each value received
// on reloads (SIGHUP, wired by main) reloads the tenants file; nil never
// reloads. Logs go to stderr as JSON; stdout carries only the sandbox banner.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer, reloads <-chan os.Signal) error {
	cfg, err := config.Load(getenv, os.ReadFile)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	redislog.Install(logger)

	var sandboxAdds *config.SandboxAdditions // kept for reloads
	if cfg.Sandbox {
		sb, err := startSandbox(cfg, logger)
		if err != nil {
			return err
		}
		defer sb.close()
		adds := sb.additions()
		if cfg, err = cfg.WithSandbox(adds); err != nil {
			return err
		}
		sandboxAdds = &adds
	}

	tracing, err := newTracing(ctx, getenv, logger)
	if err != nil {
		return err
	}
	defer flushTraces(tracing, logger)

	verifier, err := newVerifier(cfg, logger)
	if err != nil {
		return err
	}
	m := metrics.New()
	st, err := openStores(cfg, m, logger)
	if err != nil {
		return err
	}
	defer st.close()
	ev, err := newEvents(cfg, st, m, logger)
	if err != nil {
		return err
	}
	ms := newMirrors(st, m, logger)
	ms.onChange = ev.onChange
	wiring := newWiring(cfg, st, ms, m, logger, tracing)
	tenants, _, err := wiring.build(cfg)
	if err != nil {
		return err
	}
	stopEvents := ev.start(ctx)
	defer stopEvents() // after the syncers stop: they record events
	stopSync := ms.start(ctx)
	defer stopSync() // before the stores close
	h, err := handlers.New(handlers.Config{
		Logger:      logger,
		Metrics:     m,
		Verifier:    verifier,
		Tenants:     tenants,
		OpenAPIYAML: api.OpenAPIYAML(),
		CursorKey:   cursorKey(cfg, logger),
		// A no-cache mirror read waits for its follow as long as a live
		// upstream request may take.
		MirrorFollowWait: cfg.UpstreamTimeout,
		Cache:            st.cache,
		Idempotency:      st.idem,
		IdempotencyLease: cfg.IdempotencyLease,
		LimitCounter:     st.counter,
		Ready:            st.ready,
		Tracing:          tracing,
		Events:           ev.hub,
		Webhooks:         ev.dispatcher,
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	baseURL := "http://" + displayAddr(ln.Addr())
	if cfg.Sandbox {
		token, err := demoToken(cfg.JWTSecret, cfg.JWTAudience)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("sandbox token: %w", err)
		}
		printBanner(stdout, baseURL, token)
	}
	rl := &reloader{getenv: getenv, sandbox: sandboxAdds, wiring: wiring, events: ev, server: h, metrics: m, logger: logger}
	rctx, stopReloads := context.WithCancel(ctx)
	reloaderDone := make(chan struct{})
	go func() { defer close(reloaderDone); rl.run(rctx, reloads) }()
	defer func() { stopReloads(); <-reloaderDone }() // no reload while the stores close
	logger.Info("listening", "url", baseURL, "config", cfg)
	if cfg.PprofAddr != "" {
		stopPprof, err := startPprof(cfg.PprofAddr, logger)
		if err != nil {
			_ = ln.Close()
			return err
		}
		defer stopPprof()
	}
	// Open event streams end when shutdown starts, so that they do not
	// hold up the graceful shutdown of the other requests.
	return serve(ctx, ln, h, logger, cfg.ShutdownTimeout, ev.hub.Close)
}

// newTracing builds tracing from the standard OTEL_* variables; tests
// replace it to capture the spans in memory.
var newTracing = telemetry.FromEnv

// flushTraces exports the spans still queued when the gateway stops. It
// gets a fresh deadline of its own: the run context is already done.
func flushTraces(tr *telemetry.Tracing, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), traceFlushTimeout)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		logger.Warn("traces not flushed", "error", err.Error())
	}
}

// traceFlushTimeout bounds the export of the last spans on exit.
const traceFlushTimeout = 5 * time.Second

// newVerifier builds the caller-token verifier from the configured keys. With
// a JWKS URL it fetches the key set once before the gateway listens; a
// failure there is logged, and the set is fetched again when a token needs it.
func newVerifier(cfg *config.Config, logger *slog.Logger) (*auth.Verifier, error) {
	var pem []byte
	if cfg.JWTPublicKeyFile != "" {
		b, err := os.ReadFile(cfg.JWTPublicKeyFile)
		if err != nil {
			return nil, fmt.Errorf("config: SWITCHBOARD_JWT_PUBLIC_KEY_FILE: cannot be read: %w", err)
		}
		pem = b
	}
	v, err := auth.NewVerifier(auth.Config{
		HMACSecret:    cfg.JWTSecret,
		PublicKeysPEM: pem,
		JWKSURL:       cfg.JWTJWKSURL,
		Logger:        logger,
		Audience:      cfg.JWTAudience,
	})
	if err != nil {
		return nil, fmt.Errorf("config: caller token keys: %w", err)
	}
	return v, nil
}

// displayAddr turns a wildcard listen address into one a person can paste.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// cursorKey derives the key that signs calls cursors from a secret every
// replica shares (the encryption key, else the JWT secret), under a label of
// its own so the derived key reveals nothing about its parent. With neither
// (RS256/ES256 callers and no Redis: one replica), a random key serves, and
// cursors do not survive a restart.
func cursorKey(cfg *config.Config, logger *slog.Logger) []byte {
	parent := cfg.EncryptionKey
	if parent == "" {
		parent = cfg.JWTSecret
	}
	if parent == "" {
		logger.Warn("no shared secret to derive the cursor key from; cursors will not survive a restart")
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		return key
	}
	m := hmac.New(sha256.New, []byte(parent.Reveal()))
	m.Write([]byte("switchboard/calls-cursor/v1"))
	return m.Sum(nil)
}
