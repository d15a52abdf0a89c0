package main

import (
	"reflect"
	"testing"

	"switchboard/internal/auth"
)

// TestAnUpstreamRefusalIsA422NamingTheGatewaysField sends each action with
// a well-formed install that is not the tenant's (beta's install on acme):
// CallWidget refuses it, and the caller gets 422 validation on "install"
// with the upstream's message, not a 502. Nothing was done, so the
// Idempotency-Key is free for the corrected request.
func TestAnUpstreamRefusalIsA422NamingTheGatewaysField(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	tok := token(t, "acme", auth.KnownScopes()...)
	acme, _ := up.cw.Dataset("ops@acme.example")
	beta, _ := up.cw.Dataset("ops@beta.example")
	foreign := beta.Installs[0].Number

	routes := []struct{ name, path, extra string }{
		{"a contact", "/v1/contacts", ""},
		{"a call", "/v1/calls", ""},
		{"a call with a text", "/v1/calls", `,"message":"hi"`},
		{"a text", "/v1/messages", `,"message":"hi"`},
		{"an enrollment", "/v1/automations/" + itoa(acme.Automations[0].ID) + "/enrollments", ""},
	}
	for i, rt := range routes {
		t.Run(rt.name, func(t *testing.T) {
			body := `{"phone":"+17862455063","install":"` + foreign + `","birthday":"1990-06-02"` + rt.extra + `}`
			key := "refused-" + itoa(i)
			resp, b := g.post(t, rt.path, tok, body, "Idempotency-Key", key)
			p := problem(t, resp, b, 422, "validation")
			want := []any{map[string]any{"field": "install", "message": "The selected install is invalid."}}
			if !reflect.DeepEqual(p["errors"], want) {
				t.Errorf("errors: got %v, want %v", p["errors"], want)
			}
			// The same key, now with the tenant's own install, is a fresh request.
			fixed := `{"phone":"+17862455063","install":"` + acme.Installs[0].Number + `"` + rt.extra + `}`
			resp, b = g.post(t, rt.path, tok, fixed, "Idempotency-Key", key)
			if resp.StatusCode/100 != 2 || resp.Header.Get("Idempotent-Replayed") != "" {
				t.Fatalf("corrected request with the same key: got %d %s, want a fresh 2xx", resp.StatusCode, b)
			}
		})
	}
}
