package phonewagon

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// The vendor's docs show ids as numbers for companies and calls but as a
// string ("s2212") for campaigns, and give no schema. These types accept
// each field in every form the docs make plausible. Their errors are
// *json.UnmarshalTypeError so that encoding/json adds the field name, and
// they never quote the offending value (it may be a phone number).

// flexString is a string that may arrive as a JSON string, a number (kept as
// its literal text, e.g. an id 1001 becomes "1001") or null (empty).
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (s *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case isNull(b):
		*s = ""
		return nil
	case b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
		return nil
	case isNumberLiteral(b):
		*s = flexString(b)
		return nil
	}
	return typeError(b, reflect.TypeFor[string]())
}

// flexInt is an integer that may arrive as a JSON number, a numeric string,
// an empty string or null (both unset). A number with a fraction is an
// error: the fields using it (milliseconds, seconds) are whole numbers.
type flexInt struct {
	value int64
	set   bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *flexInt) UnmarshalJSON(b []byte) error {
	*n = flexInt{}
	text := string(b)
	if isNull(b) {
		return nil
	}
	if b[0] == '"' {
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
		if text = strings.TrimSpace(text); text == "" {
			return nil
		}
	}
	v, ok := parseWholeNumber(text)
	if !ok {
		return typeError(b, reflect.TypeFor[int64]())
	}
	*n = flexInt{value: v, set: true}
	return nil
}

// parseWholeNumber parses an integer, also when written as a float with no
// fraction ("54.0", "1.5e3"), within int64 range.
func parseWholeNumber(text string) (int64, bool) {
	if v, err := strconv.ParseInt(text, 10, 64); err == nil {
		return v, true
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, false
	}
	return int64(f), true
}

// flexBool is a boolean that may arrive as true/false, "true"/"false" (any
// case), 0/1, "0"/"1", an empty string or null (both unset).
type flexBool struct {
	value bool
	set   bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *flexBool) UnmarshalJSON(b []byte) error {
	*v = flexBool{}
	text := string(b)
	if isNull(b) {
		return nil
	}
	if b[0] == '"' {
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
		text = strings.ToLower(strings.TrimSpace(text))
	}
	switch text {
	case "":
		return nil
	case "true", "1":
		*v = flexBool{value: true, set: true}
	case "false", "0":
		*v = flexBool{value: false, set: true}
	default:
		return typeError(b, reflect.TypeFor[bool]())
	}
	return nil
}

// isNull reports whether b is JSON null (or empty, which encoding/json
// never passes but a direct call might).
func isNull(b []byte) bool {
	return len(b) == 0 || bytes.Equal(b, []byte("null"))
}

// isNumberLiteral reports whether b starts like a JSON number; encoding/json
// has already validated the rest.
func isNumberLiteral(b []byte) bool {
	return len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9'))
}

// typeError describes a value of the wrong JSON kind without quoting it.
func typeError(b []byte, want reflect.Type) error {
	kind := "value"
	switch {
	case len(b) == 0:
	case b[0] == '"':
		kind = "string"
	case b[0] == 't' || b[0] == 'f':
		kind = "bool"
	case b[0] == '{':
		kind = "object"
	case b[0] == '[':
		kind = "array"
	case isNumberLiteral(b):
		kind = "number"
	}
	return &json.UnmarshalTypeError{Value: kind, Type: want}
}
