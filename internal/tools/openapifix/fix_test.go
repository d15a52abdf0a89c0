package main

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const input = `externalDocs:
  description: ""
  url: ""
components:
  schemas:
    handlers.List:
      properties:
        next_cursor:
          type: string
          x-nullable: true
        call:
          $ref: '#/components/schemas/domain.Call'
          x-nullable: true
    domain.Call:
      type: object
paths:
  /v1/x:
    get:
      responses:
        "200":
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/handlers.List'
        "404":
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/handlers.List'
            text/csv:
              schema:
                $ref: '#/components/schemas/handlers.List'
`

func TestFix(t *testing.T) {
	out, err := fix([]byte(input))
	if err != nil {
		t.Fatalf("fix: %v", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("output is not YAML: %v", err)
	}
	s := string(out)
	checks := []struct {
		name string
		ok   bool
	}{
		{"a nullable string becomes a type list with null", strings.Contains(s, `type: [string, "null"]`)},
		{"a nullable ref becomes anyOf with null", strings.Contains(s, "anyOf:") && strings.Contains(s, "$ref: '#/components/schemas/Call'")},
		{"no x-nullable remains", !strings.Contains(s, "x-nullable")},
		{"schema names lose their package", strings.Contains(s, "    List:") && !strings.Contains(s, "handlers.List")},
		{"the 200 stays application/json", strings.Contains(s, "application/json:")},
		{"the 404 becomes problem+json", strings.Contains(s, "application/problem+json:")},
		{"the 404 has no other media type", !strings.Contains(s, "text/csv")},
		{"an empty externalDocs is dropped", !strings.Contains(s, "externalDocs")},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !c.ok {
				t.Errorf("not so in output:\n%s", s)
			}
		})
	}
}

func TestFixRefusesCollidingSchemaNames(t *testing.T) {
	in := "components:\n  schemas:\n    a.X: {}\n    b.X: {}\n"
	if _, err := fix([]byte(in)); err == nil {
		t.Fatal("got no error for two schemas named X, want one")
	}
}
