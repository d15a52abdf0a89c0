// Package handlers is Switchboard's HTTP adapter: the router, the middleware,
// the /v1 handlers with their swag annotations, and the one problem+json
// writer with its slug → status table.
package handlers

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/httprate"
	"gopkg.in/yaml.v3"

	"switchboard/internal/auth"
	"switchboard/internal/cache"
	"switchboard/internal/idempotency"
	"switchboard/internal/metrics"
	"switchboard/internal/telemetry"
)

// TokenVerifier verifies a caller's bearer token.
type TokenVerifier interface {
	Verify(token string) (*auth.Principal, error)
}

// ReadinessCheck is one dependency /readyz reports on.
type ReadinessCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// Tenant is what the handlers know of a configured tenant: its upstream
// services, nil where the tenant has none.
type Tenant struct {
	ID string
	// CallWidgetAccount and PhonewagonAccount name the upstream accounts in
	// cache keys, so that a cached answer is tied to the account it came from.
	CallWidgetAccount string
	PhonewagonAccount string
	// Budget reports the Phonewagon budget; nil without Phonewagon.
	Budget BudgetReporter
	// RateLimitPerMinute is the tenant's inbound limit; 0 means
	// domain.DefaultRateLimitPerMinute.
	RateLimitPerMinute int
	CallWidget         CallWidgetService
	Phonewagon         PhonewagonService
	// Mirror is the Phonewagon account's call-history mirror; nil when the
	// account has none (SPEC §7).
	Mirror CallMirror
}

// Config wires a Server. Logger, Metrics, Verifier and OpenAPIYAML are
// required.
type Config struct {
	Logger   *slog.Logger
	Metrics  *metrics.Metrics
	Verifier TokenVerifier
	// Tenants is the first generation of tenants; SetTenants replaces it.
	Tenants     map[string]*Tenant
	OpenAPIYAML []byte
	Ready       []ReadinessCheck
	// Cache is the response cache of every GET; default: in-memory.
	Cache *cache.Cache
	// Idempotency stores POST outcomes; default: in-memory (one replica).
	Idempotency idempotency.Store
	// IdempotencyLease is how long a keyed POST's claim is held before, its
	// replica presumed dead, the key answers as an uncertain outcome; in
	// (0, idempotency.MaxLease], idempotency.DefaultLease when zero.
	IdempotencyLease time.Duration
	// LimitCounter counts inbound requests per tenant; nil counts in this
	// process, the Redis counter across replicas.
	LimitCounter httprate.LimitCounter
	// CursorKey signs calls cursors; at least 32 bytes, the same on every
	// replica so a cursor from one is accepted by another.
	CursorKey []byte
	// MirrorFollowWait bounds how long a Cache-Control: no-cache read of a
	// mirror waits for its follow before answering with what is held;
	// 0 means 10 s.
	MirrorFollowWait time.Duration
	// Tracing, when on, opens a server span per request (see tracing.go);
	// nil or off installs nothing.
	Tracing *telemetry.Tracing
	// Events serves /v1/events; nil answers it as an internal error for
	// tenants with a mirror.
	Events EventHub
	// EventsHeartbeat is the interval of an event stream's comment lines
	// (default and maximum 15 s); EventsWriteTimeout bounds each of its
	// writes (default 30 s).
	EventsHeartbeat, EventsWriteTimeout time.Duration
	// Webhooks reports GET /v1/webhooks; nil answers every tenant
	// mirror-not-configured (no webhooks).
	Webhooks WebhookStatuses
}

// Server is the gateway's http.Handler. It is safe for concurrent use.
type Server struct {
	logger      *slog.Logger
	metrics     *metrics.Metrics
	verifier    TokenVerifier
	gen         atomic.Pointer[tenantSet] // the tenants in force
	swapMu      sync.Mutex                // serializes SetTenants
	counter     httprate.LimitCounter
	ready       []ReadinessCheck
	openAPIYAML []byte
	openAPIJSON []byte
	cursors     cursorSigner
	idempotency idempotency.Store
	cache       *cache.Cache
	// campaigns remembers campaign_id resolutions of mirror reads
	// (mirror_campaign.go).
	campaigns campaignMemo
	idemLease time.Duration
	// mirrorFollowWait bounds the follow before a no-cache mirror read.
	mirrorFollowWait time.Duration
	router           chi.Router
	tracing          *telemetry.Tracing
	// events serves /v1/events (events.go).
	events                              EventHub
	eventsHeartbeat, eventsWriteTimeout time.Duration
	webhooks                            WebhookStatuses

	exportTuning // zero in production; see export_pace.go
}

// New validates cfg and builds the router.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.Logger == nil:
		return nil, errors.New("handlers: Logger is required")
	case cfg.Metrics == nil:
		return nil, errors.New("handlers: Metrics is required")
	case cfg.Verifier == nil:
		return nil, errors.New("handlers: Verifier is required")
	case len(cfg.OpenAPIYAML) == 0:
		return nil, errors.New("handlers: OpenAPIYAML is required")
	case len(cfg.CursorKey) < MinCursorKeyBytes:
		return nil, fmt.Errorf("handlers: CursorKey must be at least %d bytes", MinCursorKeyBytes)
	case cfg.IdempotencyLease < 0 || cfg.IdempotencyLease > idempotency.MaxLease:
		return nil, fmt.Errorf("handlers: IdempotencyLease must be in (0, %v]", idempotency.MaxLease)
	}
	specJSON, err := yamlToJSON(cfg.OpenAPIYAML)
	if err != nil {
		return nil, fmt.Errorf("handlers: openapi document: %w", err)
	}
	s := &Server{
		logger:      cfg.Logger,
		metrics:     cfg.Metrics,
		verifier:    cfg.Verifier,
		counter:     cfg.LimitCounter,
		ready:       cfg.Ready,
		openAPIYAML: cfg.OpenAPIYAML,
		openAPIJSON: specJSON,
		cursors:     cursorSigner{key: cfg.CursorKey},
		idempotency: cfg.Idempotency,
		idemLease:   cmp.Or(cfg.IdempotencyLease, idempotency.DefaultLease),
		tracing:     cfg.Tracing,
	}
	if s.mirrorFollowWait = cfg.MirrorFollowWait; s.mirrorFollowWait <= 0 {
		s.mirrorFollowWait = defaultMirrorFollowWait
	}
	s.events, s.webhooks = cfg.Events, cfg.Webhooks
	if s.eventsHeartbeat = cfg.EventsHeartbeat; s.eventsHeartbeat <= 0 || s.eventsHeartbeat > defaultEventsHeartbeat {
		s.eventsHeartbeat = defaultEventsHeartbeat
	}
	if s.eventsWriteTimeout = cfg.EventsWriteTimeout; s.eventsWriteTimeout <= 0 {
		s.eventsWriteTimeout = defaultEventsWriteTimeout
	}
	if s.cache = cfg.Cache; s.cache == nil {
		if s.cache, err = cache.New(cache.Config{}); err != nil {
			return nil, fmt.Errorf("handlers: %w", err)
		}
	}
	if s.idempotency == nil {
		s.idempotency = idempotency.NewMemory(time.Now)
	}
	s.SetTenants(cfg.Tenants)
	s.router = s.routes()
	s.primeSeries(cfg.Tenants)
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.router.ServeHTTP(w, r)
}

// handlerFunc is a handler that returns its failure instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handlerFunc: a returned error becomes the problem response.
func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeProblem(w, r, s.logger, err)
		}
	}
}

// writeJSON answers v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return nil
}

func yamlToJSON(doc []byte) ([]byte, error) {
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}
