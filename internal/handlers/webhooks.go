package handlers

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/events"
)

// WebhookStatuses reports the delivery state of a tenant's webhook
// endpoints; *events.Dispatcher is one.
type WebhookStatuses interface {
	Status(ctx context.Context, tenant string) ([]events.EndpointStatus, error)
}

// WebhookList is the answer of GET /v1/webhooks.
type WebhookList struct {
	Data []WebhookStatus `json:"data"`
} // @name WebhookList

// WebhookStatus is one endpoint's delivery state. It never carries the
// secret.
type WebhookStatus struct {
	// Index is the endpoint's position in the tenant's webhooks list, as
	// metrics label it.
	Index int `json:"index" example:"0"`
	// URL is the receiver, with a password and the query redacted.
	URL    string   `json:"url" example:"https://crm.internal.example/hooks/switchboard"`
	Events []string `json:"events" example:"call.created,call.updated"`
	// Disabled is true after the receiver answered 410, until the next
	// configuration reload (as this replica saw it).
	Disabled bool `json:"disabled" example:"false"`
	// Backlog counts the events not delivered yet.
	Backlog     int64          `json:"backlog" example:"0"`
	LastSuccess *WebhookResult `json:"last_success" extensions:"x-nullable"`
	LastFailure *WebhookResult `json:"last_failure" extensions:"x-nullable"`
} // @name WebhookStatus

// WebhookResult is the time and receiver status of one attempt; status 0
// when no answer came (timeout, refused connection).
type WebhookResult struct {
	At     time.Time `json:"at" example:"2025-12-02T12:00:00Z"`
	Status int       `json:"status" example:"200"`
} // @name WebhookResult

// listWebhooks godoc
//
//	@Summary		Webhook endpoints and their delivery state
//	@ID				listWebhooks
//	@Description	Each of the tenant's webhook endpoints (from the tenants file) with its event types, whether it is disabled (it answered 410; until the next reload), how many events it is owed, and the time and status of its last successful and last failed attempt. Never shows the signing secret; a password or query in the URL is redacted. Scope `calls:read`.
//	@Tags			events
//	@Produce		json
//	@Security		bearerauth
//	@Success		200	{object}	WebhookList
//	@Failure		401	{object}	Problem	"missing or invalid token"
//	@Failure		403	{object}	Problem	"scope missing, unknown tenant, or no webhooks (mirror-not-configured)"
//	@Failure		503	{object}	Problem	"the shared state cannot be read"
//	@Router			/v1/webhooks [get]
func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	t, err := tenantFrom(r.Context())
	if err != nil {
		return err
	}
	var statuses []events.EndpointStatus
	if s.webhooks != nil {
		if statuses, err = s.webhooks.Status(r.Context(), t.ID); err != nil {
			return mirrorUnavailable(err)
		}
	}
	if len(statuses) == 0 {
		return domain.Errorf(domain.CodeMirrorNotConfigured, "tenant %q has no webhooks configured", t.ID)
	}
	out := WebhookList{Data: make([]WebhookStatus, 0, len(statuses))}
	for _, st := range statuses {
		ws := WebhookStatus{Index: st.Index, URL: redactURL(st.URL), Events: make([]string, 0, len(st.Types)),
			Disabled: st.Disabled, Backlog: st.Backlog, LastSuccess: resultOf(st.Success), LastFailure: resultOf(st.Failure)}
		types := st.Types
		if len(types) == 0 {
			types = events.Types
		}
		for _, typ := range types {
			ws.Events = append(ws.Events, string(typ))
		}
		out.Data = append(out.Data, ws)
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, out)
}

func resultOf(r events.Result) *WebhookResult {
	if r.At.IsZero() {
		return nil
	}
	return &WebhookResult{At: r.At.UTC().Truncate(time.Second), Status: r.Status}
}

// redactURL hides a URL's password and query: either may be a credential
// of the receiver's.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[REDACTED]"
	}
	if u.RawQuery != "" {
		u.RawQuery = "REDACTED"
	}
	return u.Redacted()
}
