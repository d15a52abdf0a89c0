package main

import (
	"strconv"

	"gopkg.in/yaml.v3"
)

// isCached reports whether an operation is served through the response
// cache: its annotations declare X-Cache on the 200 (the one convention
// the handlers follow; everything else a cached answer carries is added
// here).
func isCached(op *yaml.Node) bool {
	h := get(get(get(op, "responses"), "200"), "headers")
	return get(h, "X-Cache") != nil
}

// isAuthenticated reports whether an operation needs a caller token.
func isAuthenticated(op *yaml.Node) bool { return get(op, "security") != nil }

// completeResponses declares, on every operation, what the gateway sends
// beyond what the annotations say:
//
//   - X-Request-Id on every response;
//   - on /v1 operations, a 429 rate-limited, and X-RateLimit-* on every
//     response the inbound limit has counted (all but 401);
//   - WWW-Authenticate on a 401, Retry-After on a 429 and a 503;
//   - on cached operations, ETag, X-Cache, Age and
//     X-Upstream-Budget-Remaining on the 200, a 304 for If-None-Match, and
//     the If-None-Match and Cache-Control request headers;
//   - an example problem fitting each error status.
func completeResponses(root *yaml.Node) error {
	var err error
	operations(root, func(path, method string, op *yaml.Node) {
		responses := child(op, "responses")
		authed, cached := isAuthenticated(op), isCached(op)
		if authed && get(responses, "429") == nil {
			set(responses, "429", problemResponse("the tenant's inbound request limit is reached"))
		}
		if cached {
			set(responses, "304", nodeOf(map[string]any{"description": "Not Modified: the If-None-Match ETag still matches; no body."}))
			addRequestHeaders(op)
			ok := get(responses, "200")
			addHeader(ok, "ETag", true)
			addHeader(ok, "X-Cache", true)
			addHeader(ok, "Age", false)
			addHeader(ok, "X-Upstream-Budget-Remaining", false)
			n304 := get(responses, "304")
			addHeader(n304, "ETag", true)
			addHeader(n304, "X-Cache", true)
		}
		for _, code := range keys(responses) {
			resp := get(responses, code)
			addHeader(resp, "X-Request-Id", true)
			status, _ := strconv.Atoi(code)
			if authed && status != 401 {
				for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
					addHeader(resp, h, false)
				}
			}
			switch status {
			case 401:
				addHeader(resp, "WWW-Authenticate", true)
			case 429, 503:
				addHeader(resp, "Retry-After", true)
			}
			if status >= 400 {
				if e := setProblemExample(resp, method, path, status); e != nil && err == nil {
					err = e
				}
			}
		}
		sortKeys(responses)
	})
	return err
}

// problemResponse is a problem+json response described by description.
func problemResponse(description string) *yaml.Node {
	return nodeOf(map[string]any{
		"description": description,
		"content": map[string]any{"application/problem+json": map[string]any{
			"schema": map[string]any{"$ref": schemaRefPrefix + "Problem"}}},
	})
}

// addRequestHeaders declares the conditional-request headers a cached
// operation honours.
func addRequestHeaders(op *yaml.Node) {
	params := get(op, "parameters")
	if params == nil {
		params = &yaml.Node{Kind: yaml.SequenceNode}
		set(op, "parameters", params)
	}
	for _, p := range params.Content {
		if n := get(p, "name"); n != nil && (n.Value == "If-None-Match" || n.Value == "Cache-Control") {
			return
		}
	}
	params.Content = append(params.Content,
		nodeOf(map[string]any{"name": "If-None-Match", "in": "header", "required": false,
			"description": "an ETag of an earlier answer: 304 when it still matches",
			"schema":      map[string]any{"type": "string"}}),
		nodeOf(map[string]any{"name": "Cache-Control", "in": "header", "required": false,
			"description": "`no-cache` revalidates with the upstream instead of answering from the cache",
			"schema":      map[string]any{"type": "string", "enum": []string{"no-cache"}}}),
	)
}
