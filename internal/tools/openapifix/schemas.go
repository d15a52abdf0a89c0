package main

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// optionalResponseFields are the only response fields the gateway may
// leave out (omitempty in Go): every other field of a response schema is
// always sent, null when it has no value, so it is required.
var optionalResponseFields = map[string][]string{
	"Problem": {"errors", "retriable"},
}

// isRequestSchema reports whether a component schema is a request body.
func isRequestSchema(name string) bool { return strings.HasSuffix(name, "Request") }

// requiredResponseFields marks every always-sent property of a response
// schema required, so that a generated client has values, not pointers,
// where a value is always there.
func requiredResponseFields(root *yaml.Node) {
	schemas := get(get(root, "components"), "schemas")
	if schemas == nil {
		return
	}
	for i := 0; i+1 < len(schemas.Content); i += 2 {
		name, s := schemas.Content[i].Value, schemas.Content[i+1]
		props := get(s, "properties")
		if props == nil || isRequestSchema(name) {
			continue
		}
		var req []string
		for _, k := range keys(props) {
			if !contains(optionalResponseFields[name], k) {
				req = append(req, k)
			}
		}
		set(s, "required", nodeOf(req))
	}
}

// closedRequestBodies sets additionalProperties: false on request bodies:
// the gateway refuses unknown fields.
func closedRequestBodies(root *yaml.Node) {
	schemas := get(get(root, "components"), "schemas")
	if schemas == nil {
		return
	}
	for i := 0; i+1 < len(schemas.Content); i += 2 {
		if isRequestSchema(schemas.Content[i].Value) {
			set(schemas.Content[i+1], "additionalProperties", nodeOf(false))
		}
	}
}

// timeFormats gives every schema property named *_at (created_at,
// started_at, reset_at: the gateway's times, RFC 3339 in UTC) format
// date-time.
func timeFormats(root *yaml.Node) {
	walk(root, func(n *yaml.Node) {
		props := get(n, "properties")
		if props == nil || props.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(props.Content); i += 2 {
			p := props.Content[i+1]
			if strings.HasSuffix(props.Content[i].Value, "_at") && isStringType(get(p, "type")) {
				set(p, "format", nodeOf("date-time"))
			}
		}
	})
}

// isStringType reports whether a type node is string or [string, "null"].
func isStringType(t *yaml.Node) bool {
	if t == nil {
		return false
	}
	if t.Kind == yaml.ScalarNode {
		return t.Value == "string"
	}
	for _, c := range t.Content {
		if c.Value == "string" {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
