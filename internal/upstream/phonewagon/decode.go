package phonewagon

import (
	"encoding/json"
	"errors"
	"fmt"

	"switchboard/internal/domain"
)

// Decoding is strict about syntax and tolerant about types.
//
// The sample response in the vendor's docs has a missing comma (after
// "gclid") and a trailing comma (after "utm_term"). Those are typos in the
// documentation, not a dialect to support: a body that is not valid JSON
// (trailing data included) is an upstream-error, never a best-effort guess.
// Within valid JSON, fields whose type the docs leave ambiguous are accepted
// in every plausible form (see flex.go), unknown fields are ignored, and
// null means the same as absent or empty.

// badAnswer wraps a decoding failure as the caller-safe upstream-error.
func badAnswer(err error) *domain.Error {
	return domain.Wrap(err, domain.CodeUpstreamError, displayName+" returned an answer that could not be read")
}

// decodeEnvelope parses body as one JSON object and returns the value of
// its top-level key want, plus the other top-level values. A body that is
// not an object, or lacks want, is an upstream-error: a 200 without the
// expected key is not an empty list.
func decodeEnvelope(body []byte, want string) (json.RawMessage, map[string]json.RawMessage, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, nil, badAnswer(fmt.Errorf("decode body: %w", err))
	}
	raw, ok := top[want]
	if !ok {
		return nil, nil, badAnswer(fmt.Errorf("decode body: top-level key %q missing", want))
	}
	return raw, top, nil
}

// decodeList decodes raw, the value of top-level key name, as a JSON array
// of T. null decodes as an empty list.
func decodeList[T any](raw json.RawMessage, name string) ([]T, error) {
	var list []T
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, badAnswer(fmt.Errorf("decode %s: %w", name, err))
	}
	return list, nil
}

// errNoID reports a record without an id: every normalized record must have
// one, and inventing one would be worse than failing.
var errNoID = errors.New("record without an id")

// missingID returns the upstream-error for the i-th record of list name.
func missingID(name string, i int) *domain.Error {
	return badAnswer(fmt.Errorf("decode %s[%d]: %w", name, i, errNoID))
}
