package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"switchboard/client"
)

// TestTheGeneratedClientCallsEveryRoute drives every route of the API
// through the typed client generated from api/openapi.yaml (package
// client), against sandbox mode as a newcomer runs it: times arrive as
// time.Time, required fields as values, declared headers parsed.
func TestTheGeneratedClientCallsEveryRoute(t *testing.T) {
	g := startGateway(t, map[string]string{"SWITCHBOARD_SANDBOX": "true"})
	tok := bannerToken(t, g)
	c, err := client.NewClientWithResponses(g.URL, client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mustStatus := func(t *testing.T, name string, got, want int, body []byte) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: got %d %s, want %d", name, got, truncate(body), want)
		}
	}

	t.Run("companies name the docs' 1001", func(t *testing.T) {
		r, err := c.ListCompaniesWithResponse(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		mustStatus(t, "companies", r.StatusCode(), 200, r.Body)
		if r.JSON200.Data[0].Id != "1001" || r.Headers200.ETag == "" || r.Headers200.XRequestId == "" {
			t.Errorf("got first company %+v, ETag %q, X-Request-Id %q; want 1001 and both headers",
				r.JSON200.Data[0], r.Headers200.ETag, r.Headers200.XRequestId)
		}
		again, err := c.ListCompaniesWithResponse(ctx, &client.ListCompaniesParams{IfNoneMatch: &r.Headers200.ETag})
		if err != nil {
			t.Fatal(err)
		}
		mustStatus(t, "companies with If-None-Match", again.StatusCode(), 304, again.Body)
	})
	t.Run("campaigns of 1001 include s2212", func(t *testing.T) {
		company := "1001"
		r, err := c.ListCampaignsWithResponse(ctx, &client.ListCampaignsParams{CompanyId: &company})
		if err != nil {
			t.Fatal(err)
		}
		mustStatus(t, "campaigns", r.StatusCode(), 200, r.Body)
		found := false
		for _, camp := range r.JSON200.Data {
			found = found || (camp.Id == "s2212" && camp.CompanyId == "1001")
		}
		if !found {
			t.Errorf("got %+v, want campaign s2212 of company 1001", r.JSON200.Data)
		}
	})
	t.Run("calls carry times as time.Time", func(t *testing.T) {
		limit, since := 5, time.Now().Add(-30*24*time.Hour)
		r, err := c.ListCallsWithResponse(ctx, &client.ListCallsParams{Limit: &limit, Since: &since})
		if err != nil {
			t.Fatal(err)
		}
		mustStatus(t, "calls", r.StatusCode(), 200, r.Body)
		if len(r.JSON200.Data) != limit {
			t.Fatalf("got %d calls, want %d", len(r.JSON200.Data), limit)
		}
		for _, call := range r.JSON200.Data {
			if call.StartedAt == nil || call.StartedAt.Before(since) || call.Id == "" || call.Source != "phonewagon" {
				t.Errorf("got call %s from %s at %v, want a phonewagon call since %v", call.Id, call.Source, call.StartedAt, since)
			}
		}
		if r.JSON200.NextCursor == nil {
			t.Error("next_cursor: got null, want a cursor")
		}
	})
	t.Run("the export streams NDJSON calls", func(t *testing.T) {
		since := time.Now().Add(-2 * 24 * time.Hour)
		// The stream is read as it arrives, through the plain client: the
		// generated response parser would read NDJSON as one JSON value.
		resp, err := c.ClientInterface.(*client.Client).ExportCalls(ctx, &client.ExportCallsParams{Since: &since})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson; charset=utf-8" {
			t.Fatalf("export: got %d %q, want 200 NDJSON", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		sc, n := bufio.NewScanner(resp.Body), 0
		for sc.Scan() {
			var call client.Call
			if err := json.Unmarshal(sc.Bytes(), &call); err != nil || call.StartedAt == nil {
				t.Fatalf("line %d: %v (%s)", n, err, sc.Bytes())
			}
			n++
		}
		if n == 0 {
			t.Error("got no calls, want some")
		}
	})
	t.Run("the budget says when it resets", func(t *testing.T) {
		r, err := c.GetBudgetWithResponse(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mustStatus(t, "budget", r.StatusCode(), 200, r.Body)
		if r.JSON200.Limit != 50 || r.JSON200.ResetAt.IsZero() {
			t.Errorf("got %+v, want a limit of 50 and a reset time", r.JSON200)
		}
	})
	t.Run("lookups are listed", func(t *testing.T) {
		tags, err := c.ListTagsWithResponse(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		mustStatus(t, "tags", tags.StatusCode(), 200, tags.Body)
		deps, err := c.ListDepartmentsWithResponse(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		mustStatus(t, "departments", deps.StatusCode(), 200, deps.Body)
		autos, err := c.ListAutomationsWithResponse(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		mustStatus(t, "automations", autos.StatusCode(), 200, autos.Body)
		installs, err := c.ListInstallsWithResponse(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		mustStatus(t, "installs", installs.StatusCode(), 200, installs.Body)
		if tags.JSON200.Data[0].Name == nil || *tags.JSON200.Data[0].Name != "VIP" || deps.JSON200.Data[1].Label == nil ||
			autos.JSON200.Data[0].Id != "1" || installs.JSON200.Data[0].Phone == nil || *installs.JSON200.Data[0].Phone != "+17866275049" {
			t.Errorf("got tags %s, departments %s, automations %s, installs %s; want the docs' records first",
				tags.Body, deps.Body, autos.Body, installs.Body)
		}
	})

	contact := client.ContactRequest{Phone: "+17862455063", Install: "+17866275049"}
	msg := "Thanks for calling!"
	t.Run("a contact is created", func(t *testing.T) {
		r, err := c.CreateContactWithResponse(ctx, nil, contact)
		if err != nil {
			t.Fatal(err)
		}
		mustStatus(t, "contact", r.StatusCode(), 201, r.Body)
		if r.JSON201.CreatedAt == nil || r.JSON201.CreatedAt.IsZero() {
			t.Errorf("created_at: got %v, want a time", r.JSON201.CreatedAt)
		}
	})
	t.Run("a call is requested", func(t *testing.T) {
		r, err := c.CreateCallWithResponse(ctx, nil, client.CallRequest{Phone: contact.Phone, Install: contact.Install, Message: &msg})
		if err != nil {
			t.Fatal(err)
		}
		mustStatus(t, "call", r.StatusCode(), 202, r.Body)
	})
	t.Run("a text is sent, and replayed for its key", func(t *testing.T) {
		key := "client-e2e-text"
		body := client.MessageRequest{Phone: contact.Phone, Install: contact.Install, Message: msg}
		r, err := c.SendMessageWithResponse(ctx, &client.SendMessageParams{IdempotencyKey: &key}, body)
		if err != nil {
			t.Fatal(err)
		}
		mustStatus(t, "text", r.StatusCode(), 202, r.Body)
		if r.JSON202.Message == nil || *r.JSON202.Message != msg {
			t.Errorf("message: got %v, want %q", r.JSON202.Message, msg)
		}
		again, err := c.SendMessageWithResponse(ctx, &client.SendMessageParams{IdempotencyKey: &key}, body)
		if err != nil {
			t.Fatal(err)
		}
		if again.StatusCode() != 202 || again.HTTPResponse.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay: got %d replayed=%q, want 202 replayed", again.StatusCode(), again.HTTPResponse.Header.Get("Idempotent-Replayed"))
		}
	})
	t.Run("an enrollment starts automation 1", func(t *testing.T) {
		r, err := c.EnrollContactWithResponse(ctx, "1", nil, contact)
		if err != nil {
			t.Fatal(err)
		}
		mustStatus(t, "enrollment", r.StatusCode(), 201, r.Body)
	})
	t.Run("an install that is not the tenant's is a typed 422", func(t *testing.T) {
		r, err := c.CreateContactWithResponse(ctx, nil, client.ContactRequest{Phone: contact.Phone, Install: "+12025550143"})
		if err != nil {
			t.Fatal(err)
		}
		mustStatus(t, "foreign install", r.StatusCode(), 422, r.Body)
		if p := r.ApplicationproblemJSON422; p == nil || p.Errors == nil || (*p.Errors)[0].Field != "install" {
			t.Errorf("got %s, want a validation problem on install", r.Body)
		}
	})
}
