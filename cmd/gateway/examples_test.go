package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"switchboard/api"
)

// TestEveryDocumentedExampleWorksInTheSandbox does what a newcomer does in
// Swagger UI against `make run`: every /v1 operation of api/openapi.yaml,
// filled in with the document's own examples and defaults (path and query
// parameters, and a body built from the schema's property examples, as
// Swagger UI builds it), sent with the printed token. Each must answer
// 2xx, and a list must hold data: an example that names a record the
// sandbox lacks, or a filter that narrows the answer to nothing, fails.
func TestEveryDocumentedExampleWorksInTheSandbox(t *testing.T) {
	g := startGateway(t, map[string]string{"SWITCHBOARD_SANDBOX": "true"})
	tok := bannerToken(t, g)
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML())
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range sortedPaths(doc) {
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		for method, op := range doc.Paths.Value(path).Operations() {
			t.Run(method+" "+path, func(t *testing.T) {
				target, body := filledIn(t, path, op)
				req, _ := http.NewRequest(method, g.URL+target, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+tok)
				if body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var got map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&got)
				if resp.StatusCode/100 != 2 {
					t.Fatalf("%s %s with body %s: got %d %v, want 2xx", method, target, body, resp.StatusCode, got)
				}
				if data, isList := got["data"].([]any); isList && len(data) == 0 {
					t.Errorf("%s %s: got an empty list, want data", method, target)
				} else if _, hasData := got["data"]; hasData && !isList {
					t.Errorf("%s %s: data is %T, want a list", method, target, got["data"])
				}
			})
		}
	}
}

// bannerToken is the caller token sandbox mode prints.
func bannerToken(t *testing.T, g *gateway) string {
	t.Helper()
	_, rest, ok := strings.Cut(g.Stdout.String(), "Authorization: Bearer ")
	if !ok {
		t.Fatalf("banner has no token:\n%s", g.Stdout)
	}
	return strings.FieldsFunc(rest, func(r rune) bool { return r == '\'' || r == ' ' || r == '\n' })[0]
}

func sortedPaths(doc *openapi3.T) []string {
	var out []string
	for p := range doc.Paths.Map() {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// filledIn returns the request target and body Swagger UI fills in for op:
// path and query parameters from their example (or default), the JSON body
// from its example or its schema's property examples.
func filledIn(t *testing.T, path string, op *openapi3.Operation) (string, string) {
	t.Helper()
	q := url.Values{}
	for _, ref := range op.Parameters {
		p := ref.Value
		v := p.Example
		if v == nil && p.Schema != nil && p.Schema.Value != nil {
			v = p.Schema.Value.Example
			if v == nil {
				v = p.Schema.Value.Default
			}
		}
		switch {
		case p.In == "path" && v == nil:
			t.Fatalf("path parameter %s has no example", p.Name)
		case p.In == "path":
			path = strings.ReplaceAll(path, "{"+p.Name+"}", url.PathEscape(scalar(v)))
		case p.In == "query" && v != nil:
			q.Set(p.Name, scalar(v))
		}
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return path, ""
	}
	mt := op.RequestBody.Value.Content.Get("application/json")
	if mt == nil {
		t.Fatalf("request body is not JSON")
	}
	ex := mt.Example
	if ex == nil {
		ex = schemaExample(mt.Schema.Value)
	}
	b, _ := json.Marshal(ex)
	return path, string(b)
}

// schemaExample builds an object from its properties' examples.
func schemaExample(s *openapi3.Schema) any {
	if s.Example != nil {
		return s.Example
	}
	if s.Type.Is("object") || len(s.Properties) > 0 {
		out := map[string]any{}
		for name, p := range s.Properties {
			if v := schemaExample(p.Value); v != nil {
				out[name] = v
			}
		}
		return out
	}
	if s.Type.Is("array") && s.Items != nil {
		if v := schemaExample(s.Items.Value); v != nil {
			return []any{v}
		}
	}
	return nil
}

func scalar(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}
