package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"switchboard/internal/auth"
)

// TestConditionalAndLimitedResponsesMatchTheContract validates what the
// main contract test cannot provoke with one request each: a 304 for a
// matching If-None-Match on every cached route, a 429 from the inbound
// limit with its headers, and a HEAD of the export.
func TestConditionalAndLimitedResponsesMatchTheContract(t *testing.T) {
	router := loadContract(t)
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.PlainBodyDecoder)
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	// A tenant allowed one request a minute, on acme's accounts.
	limited := fmt.Sprintf(`tenants:
  - id: tight
    rate_limit_per_minute: 1
    callwidget: {base_url: %s, email: ops@acme.example, password: "${ACME_CW}"}
    phonewagon: {base_url: %s, client_id: acme-client, client_secret: "${ACME_PW}"}
`, up.cwURL, up.pwURL)
	tight := filepath.Join(t.TempDir(), "tight.yaml")
	if err := os.WriteFile(tight, []byte(limited), 0o600); err != nil {
		t.Fatal(err)
	}
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	all := token(t, "acme", auth.KnownScopes()...)

	for _, path := range []string{"/v1/companies", "/v1/campaigns", "/v1/calls?limit=2", "/v1/tags", "/v1/departments", "/v1/automations", "/v1/installs"} {
		t.Run("304 on "+path, func(t *testing.T) {
			first, _ := g.get(t, path, all)
			etag := first.Header.Get("ETag")
			if first.StatusCode != 200 || etag == "" {
				t.Fatalf("first answer: got %d with ETag %q, want 200 with an ETag", first.StatusCode, etag)
			}
			checkContract(t, router, g, http.MethodGet, path, all, 304, "If-None-Match", etag)
		})
	}
	t.Run("HEAD of the export", func(t *testing.T) {
		checkContract(t, router, g, http.MethodHead, "/v1/calls/export", all, 200)
	})

	env["SWITCHBOARD_TENANTS_FILE"] = tight
	gt := startGateway(t, env)
	tok := token(t, "tight", auth.KnownScopes()...)
	t.Run("429 from the inbound limit", func(t *testing.T) {
		checkContract(t, router, gt, http.MethodGet, "/v1/budget", tok, 200)
		resp := checkContract(t, router, gt, http.MethodGet, "/v1/budget", tok, 429)
		for _, h := range []string{"Retry-After", "X-Ratelimit-Limit", "X-Request-Id"} {
			if resp.Header.Get(h) == "" {
				t.Errorf("429 lacks %s", h)
			}
		}
	})
}

// checkContract sends one request and validates the response, status
// included, against api/openapi.yaml.
func checkContract(t *testing.T, router routers.Router, g *gateway, method, path, tok string, status int, hdr ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, g.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: got %d %s, want %d", method, path, resp.StatusCode, truncate(body), status)
	}
	// HEAD is matched as the GET it is served by.
	match := req.Clone(context.Background())
	if method == http.MethodHead {
		match.Method = http.MethodGet
	}
	route, params, err := router.FindRoute(match)
	if err != nil {
		t.Fatalf("route not in the contract: %v", err)
	}
	if status == http.StatusNotModified {
		// openapi3filter skips a 304 altogether: check it is declared,
		// with the headers it must carry.
		declared := route.Operation.Responses.Status(status)
		if declared == nil || declared.Value == nil {
			t.Fatalf("%s %s: 304 is not declared in the contract", method, path)
		}
		for name, h := range declared.Value.Headers {
			if h.Value.Required && resp.Header.Get(name) == "" {
				t.Errorf("%s %s: 304 lacks the required header %s", method, path, name)
			}
		}
		return resp
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: match, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Fatalf("%s %s %d does not match the contract: %v\nbody: %s", method, path, status, err, truncate(body))
	}
	return resp
}
