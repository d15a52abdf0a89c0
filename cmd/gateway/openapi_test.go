package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"switchboard/api"
	"switchboard/internal/auth"
)

// loadContract loads api/openapi.yaml, checks it is a valid OpenAPI 3.1
// document, and returns a router over it.
func loadContract(t *testing.T) routers.Router {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPIYAML())
	if err != nil {
		t.Fatalf("load api/openapi.yaml: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("api/openapi.yaml is OpenAPI %s, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("api/openapi.yaml is not valid: %v", err)
	}
	doc.Servers = nil // match on paths only, whatever port the test gateway got
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestEveryResponseMatchesTheContract drives every route against the
// sandbox upstreams and validates each real response, successes and
// errors, against api/openapi.yaml: status documented, headers and body
// matching their schemas.
func TestEveryResponseMatchesTheContract(t *testing.T) {
	router := loadContract(t)
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.PlainBodyDecoder)

	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	all := token(t, "acme", auth.KnownScopes()...)
	none := token(t, "acme")
	solo := token(t, "solo", auth.KnownScopes()...)

	tests := []contractCase{
		{"companies", "/v1/companies", all, "", 200},
		{"campaigns of every company", "/v1/campaigns", all, "", 200},
		{"campaigns of one company", "/v1/campaigns?company_id=1", all, "", 200},
		{"campaigns with a bad company id", "/v1/campaigns?company_id=abc", all, "", 400},
		{"calls", "/v1/calls?limit=3", all, "", 200},
		{"calls with filters", "/v1/calls?limit=2&since=2026-01-01T00:00:00Z&until=2026-12-01T00:00:00Z", all, "", 200},
		{"calls with a bad limit", "/v1/calls?limit=0", all, "", 400},
		{"calls with a bad cursor", "/v1/calls?cursor=x", all, "", 400},
		{"calls without a token", "/v1/calls", "", "", 401},
		{"calls without the scope", "/v1/calls", none, "", 403},
		{"calls for a tenant without Phonewagon", "/v1/calls", solo, "", 403},
		{"calls export as NDJSON", "/v1/calls/export?since=2026-10-25T00:00:00Z", all, "application/x-ndjson", 200},
		{"calls export as CSV", "/v1/calls/export?since=2026-10-25T00:00:00Z", all, "text/csv", 200},
		{"calls export with a bad filter", "/v1/calls/export?since=yesterday", all, "", 400},
		{"tags", "/v1/tags", all, "", 200},
		{"departments", "/v1/departments", all, "", 200},
		{"automations", "/v1/automations", all, "", 200},
		{"installs", "/v1/installs", all, "", 200},
		{"installs without the scope", "/v1/installs", none, "", 403},
	}
	checkContractCases(t, router, g, tests)
}

// contractCase is one request of a contract test and the status it must get.
type contractCase struct {
	name, path, tok, accept string
	status                  int
}

// checkContractCases sends each request to g and validates the real response
// against the contract.
func checkContractCases(t *testing.T, router routers.Router, g *gateway, tests []contractCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, g.URL+tt.path, nil)
			if tt.tok != "" {
				req.Header.Set("Authorization", "Bearer "+tt.tok)
			}
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status: got %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			route, params, err := router.FindRoute(req)
			if err != nil {
				t.Fatalf("route not in the contract: %v", err)
			}
			in := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: &openapi3filter.RequestValidationInput{
					Request: req, PathParams: params, Route: route,
					Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
				},
				Status:  resp.StatusCode,
				Header:  resp.Header,
				Options: &openapi3filter.Options{IncludeResponseStatus: true},
			}
			in.SetBodyBytes(body)
			if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
				t.Fatalf("response does not match the contract: %v\nbody: %s", err, truncate(body))
			}
		})
	}
}

// TestMirrorResponsesMatchTheContract validates the answers of a mirrored
// tenant: pages and exports read from the mirror, one call, the sync state,
// and the problems of a tenant without a mirror.
func TestMirrorResponsesMatchTheContract(t *testing.T) {
	router := loadContract(t)
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.PlainBodyDecoder)
	fastSyncers(t, 10*time.Millisecond)
	up := startMirrorUpstream(t, 0)
	g := startGateway(t, up.env(t))
	waitMirrored(t, g, "acme")
	acme, plain := token(t, "acme", "calls:read"), token(t, "plain", "calls:read")
	_, body := g.get(t, "/v1/calls?limit=1", acme)
	var p callPage
	_ = json.Unmarshal(body, &p)
	id, _ := callID(t, p.Data[0])

	checkContractCases(t, router, g, []contractCase{
		{"calls from the mirror", "/v1/calls?limit=3", acme, "", 200},
		{"calls from the mirror after a follow", "/v1/calls?limit=2&since=2026-01-01T00:00:00Z", acme, "", 200},
		{"export from the mirror", "/v1/calls/export?since=2026-10-25T00:00:00Z", acme, "application/x-ndjson", 200},
		{"one call", "/v1/calls/" + id, acme, "", 200},
		{"a call the mirror does not hold", "/v1/calls/999999999", acme, "", 404},
		{"the sync state", "/v1/sync", acme, "", 200},
		{"the sync state of a tenant without a mirror", "/v1/sync", plain, "", 403},
		{"one call for a tenant without a mirror", "/v1/calls/" + id, plain, "", 403},
		{"the sync state without a token", "/v1/sync", "", "", 401},
	})
}

func truncate(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(bytes.TrimSpace(b))
}
