package main

import (
	"strings"

	"gopkg.in/yaml.v3"
)

const headerRefPrefix = "#/components/headers/"

// headerDefs are the response headers the gateway sends, declared once
// under components.headers and referenced where they apply.
var headerDefs = map[string]map[string]any{
	"X-Request-Id": {"description": "The request's id: the caller's X-Request-Id when it is sane, else generated. Every response carries it; quote it when reporting a problem.",
		"schema": map[string]any{"type": "string"}},
	"X-RateLimit-Limit": {"description": "The tenant's inbound limit: requests per minute.",
		"schema": map[string]any{"type": "integer"}},
	"X-RateLimit-Remaining": {"description": "Requests the tenant may still make in the current window.",
		"schema": map[string]any{"type": "integer"}},
	"X-RateLimit-Reset": {"description": "When the current window ends, in Unix seconds.",
		"schema": map[string]any{"type": "integer"}},
	"Retry-After": {"description": "Seconds to wait before retrying.",
		"schema": map[string]any{"type": "integer", "minimum": 1}},
	"WWW-Authenticate": {"description": "The Bearer challenge (RFC 6750): `Bearer realm=\"switchboard\"` when no token was sent, with `error=\"invalid_token\"` and an `error_description` when one was refused.",
		"schema": map[string]any{"type": "string"}},
	"ETag": {"description": "The answer's entity tag: send it as If-None-Match to get 304 when nothing changed.",
		"schema": map[string]any{"type": "string"}},
	"X-Cache": {"description": "Where the answer came from: HIT (the response cache), MISS (the upstream), STALE (a cached copy of up to 24 h, served because the upstream failed or the budget is spent), BYPASS (not cached), MIRROR (the call-history mirror).",
		"schema": map[string]any{"type": "string", "enum": []string{"HIT", "MISS", "STALE", "BYPASS", "MIRROR"}}},
	"Age": {"description": "Seconds since a cached or stale answer was fetched from the upstream.",
		"schema": map[string]any{"type": "integer", "minimum": 0}},
	"X-Upstream-Budget-Remaining": {"description": "Requests left in the Phonewagon account's budget for the current 60-second window, as this replica last saw it.",
		"schema": map[string]any{"type": "integer", "minimum": 0}},
}

// headerComponents declares under components.headers each of headerDefs
// that a response references (required ones are inline copies).
func headerComponents(root *yaml.Node) {
	used := map[string]bool{}
	walk(root, func(n *yaml.Node) {
		if r := get(n, "$ref"); r != nil && strings.HasPrefix(r.Value, headerRefPrefix) {
			used[strings.TrimPrefix(r.Value, headerRefPrefix)] = true
		}
	})
	if len(used) == 0 {
		return
	}
	h := child(child(root, "components"), "headers")
	for name, def := range headerDefs {
		if used[name] {
			set(h, name, nodeOf(def))
		}
	}
	sortKeys(h)
}

// addHeader references header name from a response; required says the
// response always carries it. A header the response already declares
// (from an annotation) is replaced by the reference.
func addHeader(resp *yaml.Node, name string, required bool) {
	headers := child(resp, "headers")
	n := ref(headerRefPrefix + name)
	if required {
		// A $ref takes no sibling but summary and description, so a
		// required header is an inline copy.
		n = nodeOf(withRequired(headerDefs[name]))
	}
	for _, k := range keys(headers) {
		if strings.EqualFold(k, name) {
			del(headers, k)
		}
	}
	set(headers, name, n)
	sortKeys(headers)
}

// withRequired is def with required: true.
func withRequired(def map[string]any) map[string]any {
	out := map[string]any{"required": true}
	for k, v := range def {
		out[k] = v
	}
	return out
}
