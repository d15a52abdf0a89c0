// Package api embeds the OpenAPI document generated from the handlers' swag
// annotations (make docs), so the binary serves the exact file in the repo.
package api

import _ "embed"

//go:embed openapi.yaml
var openAPIYAML []byte

// OpenAPIYAML returns a copy of the OpenAPI 3.1 document.
func OpenAPIYAML() []byte {
	return append([]byte(nil), openAPIYAML...)
}
