package handlers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/events"
)

func TestListWebhooks(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("s3cr3t-0123456789abcdef-0123456789"))
	log := events.NewMemoryLog(nil, 0)
	q := events.NewMemoryQueue(log)
	eps := []events.Endpoint{
		{Tenant: "acme", Index: 0, Account: "acct-a", URL: "https://crm.example/hooks", Secret: domain.Secret(secret), Types: []events.Type{events.CallCreated}},
		{Tenant: "acme", Index: 1, Account: "acct-a", URL: "https://bot:hunter2@crm.example/in?token=tok123", Secret: domain.Secret(secret)},
	}
	ctx := context.Background()
	for _, ep := range eps {
		_ = q.Join(ctx, ep.Account, ep.Group())
	}
	log.Append(ctx, "acct-a", events.CallCreated, domain.Call{ID: "1", Source: domain.SourcePhonewagon})
	d, err := events.NewDispatcher(events.DispatcherConfig{Queue: q, Endpoints: eps, Consumer: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	g := newTestGateway(t)
	g.webhooks = d

	t.Run("each endpoint shows its URL redacted, events, state and backlog, never the secret", func(t *testing.T) {
		rec := g.do(t, http.MethodGet, "/v1/webhooks", token(t, "acme", auth.ScopeCallsRead), nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("got %d %s, want 200", rec.Code, rec.Body)
		}
		body := rec.Body.String()
		for _, leak := range []string{strings.TrimPrefix(secret, "whsec_"), "hunter2", "tok123"} {
			if strings.Contains(body, leak) {
				t.Fatalf("body %s shows %q", body, leak)
			}
		}
		var got WebhookList
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Data) != 2 || got.Data[0].URL != "https://crm.example/hooks" || strings.Join(got.Data[0].Events, ",") != "call.created" ||
			strings.Join(got.Data[1].Events, ",") != "call.created,call.updated" || got.Data[1].Backlog != 1 ||
			got.Data[0].Disabled || got.Data[0].LastSuccess != nil || got.Data[0].LastFailure != nil {
			t.Fatalf("got %s, want both endpoints, the second owed one event", body)
		}
	})

	t.Run("a tenant without webhooks is answered mirror-not-configured", func(t *testing.T) {
		rec := g.do(t, http.MethodGet, "/v1/webhooks", token(t, "bare", auth.ScopeCallsRead), nil)
		decodeProblem(t, rec, http.StatusForbidden, domain.CodeMirrorNotConfigured)
	})
}
