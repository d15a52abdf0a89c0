package main

import (
	"testing"

	"gopkg.in/yaml.v3"
)

const cachedInput = `components:
  schemas:
    handlers.Problem:
      properties:
        type: {type: string}
        errors: {type: array, items: {type: object}}
      type: object
    handlers.Thing:
      properties:
        created_at: {type: string}
        name: {type: [string, "null"]}
      type: object
    handlers.ThingRequest:
      properties:
        name: {type: string}
      type: object
paths:
  /v1/things:
    get:
      security: [{bearerauth: []}]
      responses:
        "200":
          description: OK
          headers:
            X-Cache: {schema: {type: string}}
          content:
            application/json:
              schema: {$ref: '#/components/schemas/handlers.Thing'}
        "401":
          description: no token
          content:
            application/json:
              schema: {$ref: '#/components/schemas/handlers.Problem'}
        "503":
          description: down
          content:
            application/json:
              schema: {$ref: '#/components/schemas/handlers.Problem'}
  /healthz:
    get:
      responses:
        "200": {description: OK}
`

func TestFixCompletesResponses(t *testing.T) {
	out, err := fix([]byte(cachedInput))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	at := func(path ...string) any {
		var cur any = doc
		for _, p := range path {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[p]
		}
		return cur
	}
	resp := func(code string) []string { return []string{"paths", "/v1/things", "get", "responses", code} }
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"a cached operation declares 304", at(append(resp("304"), "headers", "ETag", "required")...), true},
		{"a cached 200 requires ETag", at(append(resp("200"), "headers", "ETag", "required")...), true},
		{"a cached 200 may carry Age", at(append(resp("200"), "headers", "Age", "$ref")...), "#/components/headers/Age"},
		{"an authenticated operation declares 429", at(append(resp("429"), "headers", "Retry-After", "required")...), true},
		{"a 401 requires WWW-Authenticate", at(append(resp("401"), "headers", "WWW-Authenticate", "required")...), true},
		{"a 401 carries no X-RateLimit headers", at(append(resp("401"), "headers", "X-RateLimit-Limit")...), nil},
		{"a 503 requires Retry-After", at(append(resp("503"), "headers", "Retry-After", "required")...), true},
		{"a 503 example is a 503 problem", at(append(resp("503"), "content", "application/problem+json", "example", "status")...), 503},
		{"a 401 example is a 401 problem", at(append(resp("401"), "content", "application/problem+json", "example", "type")...), "/problems/unauthorized"},
		{"an unauthenticated operation still sends X-Request-Id", at("paths", "/healthz", "get", "responses", "200", "headers", "X-Request-Id", "required"), true},
		{"an unauthenticated operation has no 429", at("paths", "/healthz", "get", "responses", "429"), nil},
		{"a time field is date-time", at("components", "schemas", "Thing", "properties", "created_at", "format"), "date-time"},
		{"a request body refuses unknown fields", at("components", "schemas", "ThingRequest", "additionalProperties"), false},
		{"a request body gets no required list", at("components", "schemas", "ThingRequest", "required"), nil},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
	t.Run("response fields are required but the problem's optional ones", func(t *testing.T) {
		if got := at("components", "schemas", "Thing", "required"); len(got.([]any)) != 2 {
			t.Errorf("Thing required: got %v, want created_at and name", got)
		}
		if got := at("components", "schemas", "Problem", "required"); len(got.([]any)) != 1 {
			t.Errorf("Problem required: got %v, want type only", got)
		}
	})
}
