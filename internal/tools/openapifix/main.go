// Command openapifix finishes the OpenAPI 3.1 document that swag generates,
// where swag v2 cannot express what the API does. It reads YAML on stdin and
// writes YAML on stdout; `make docs` runs it after swag. It is deterministic,
// so `make test` can regenerate the document and compare.
//
// It makes these changes (see each function for its rule):
//   - a schema marked `x-nullable: true` (the swag `extensions` tag on a
//     pointer field) gets the 3.1 type list [T, "null"], since an upstream
//     empty string is served as null;
//   - error responses (4xx, 5xx) are served as application/problem+json, not
//     the operation's application/json;
//   - component schemas lose their Go package prefix (handlers.Problem →
//     Problem), and every $ref follows;
//   - an empty externalDocs object is dropped;
//   - response schemas mark every always-sent field required, request
//     bodies refuse unknown fields, and *_at fields are date-time;
//   - every response declares the headers the gateway sends (X-Request-Id,
//     X-RateLimit-*, WWW-Authenticate, Retry-After; ETag, X-Cache, Age,
//     X-Upstream-Budget-Remaining and a 304 where an operation's 200
//     declares X-Cache), /v1 operations a 429, and each error status an
//     example problem from the gateway's own slug table;
//   - the export's NDJSON and CSV are described as what they are.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err == nil {
		var out []byte
		out, err = fix(in)
		if err == nil {
			_, err = os.Stdout.Write(out)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapifix:", err)
		os.Exit(1)
	}
}
