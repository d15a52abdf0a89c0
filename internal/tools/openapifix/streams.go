package main

import (
	"strings"

	"gopkg.in/yaml.v3"

	"switchboard/internal/handlers"
)

// streamMedia describes the export's media types as what they are, where
// swag can only say "a string": NDJSON is one Call object per line, CSV
// starts with the header row the handler writes.
func streamMedia(root *yaml.Node) {
	operations(root, func(_, _ string, op *yaml.Node) {
		content := get(get(get(op, "responses"), "200"), "content")
		if nd := get(content, "application/x-ndjson"); nd != nil {
			set(nd, "schema", nodeOf(map[string]any{
				"type":             "string",
				"contentMediaType": "application/x-ndjson",
				"description":      "Newline-delimited JSON: one Call object (see the Call schema) per line, newest first.",
			}))
			set(nd, "x-item-schema", ref(schemaRefPrefix+"Call"))
			set(nd, "example", nodeOf(`{"id":"6315","source":"phonewagon","sid":"CA9d0462dd32f10134829dde342c1ec85c","direction":"inbound","status":"completed","from":"+19295559999","to":"+18445551234","started_at":"2019-12-02T21:33:36Z","duration_seconds":54,"…":"…"}`+"\n"))
		}
		if csv := get(content, "text/csv"); csv != nil {
			header := strings.Join(handlers.CSVHeader(), ",")
			set(csv, "schema", nodeOf(map[string]any{
				"type":             "string",
				"contentMediaType": "text/csv",
				"description":      "RFC 4180 CSV: the header row (" + header + "), then one row per call, newest first. Nested fields are flattened with '_'; null is an empty cell.",
			}))
			set(csv, "example", nodeOf(header+"\r\n"))
		}
	})
}
