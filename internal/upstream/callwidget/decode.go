package callwidget

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// lookupRecord is one element of a lookup list, normalized: the id as a
// string, an absent, null or empty name or label as nil.
type lookupRecord struct {
	ID    string
	Name  *string
	Label *string
}

// rawLookup is one element as the vendor sends it:
//
//	{"id": 1, "name": "VIP", "label": "VIP"}
//
// The docs show ids as numbers and give no schema, so each field also
// accepts a string (and a number for name and label). Unknown fields are
// ignored.
type rawLookup struct {
	ID    flexString `json:"id"`
	Name  flexString `json:"name"`
	Label flexString `json:"label"`
}

// decodeLookups decodes a lookup list. Anything but a JSON array is an
// error, null included, and so is a record without an id: every record the
// gateway serves has one. Errors never quote the body (names may be phone
// numbers).
func decodeLookups(body []byte) ([]lookupRecord, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '[' {
		return nil, errors.New("decode list: the answer is not a JSON array")
	}
	var raw []rawLookup
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("decode list: %w", err)
	}
	out := make([]lookupRecord, len(raw))
	for i, r := range raw {
		if r.ID.value == nil {
			return nil, fmt.Errorf("decode list: record %d has no id", i)
		}
		out[i] = lookupRecord{ID: *r.ID.value, Name: r.Name.value, Label: r.Label.value}
	}
	return out, nil
}

// flexString is a string that may arrive as a JSON string or number (kept
// as its literal text: id 1 becomes "1"). null, an empty string or an
// absent field leave value nil.
type flexString struct {
	value *string
}

// UnmarshalJSON implements json.Unmarshaler. Its error is a
// *json.UnmarshalTypeError, which names the field and not the value.
func (f *flexString) UnmarshalJSON(b []byte) error {
	f.value = nil
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s != "" {
			f.value = &s
		}
		return nil
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		s := string(b)
		f.value = &s
		return nil
	}
	return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[string]()}
}

// jsonKind names the kind of a JSON value that is neither string, number
// nor null.
func jsonKind(b []byte) string {
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	}
	return "value"
}

// phoneOf returns name as an E.164 phone number if it is one, else nil.
// Only the international format counts (a leading "+", as the vendor docs
// require for install numbers): without it a number's country would be a
// guess. Spaces, dashes, dots and parentheses are allowed between digits.
// Numbers are checked to be possible (length and country code), not to be
// assigned, so that test and sandbox numbers stay phones.
func phoneOf(name *string) *string {
	if name == nil {
		return nil
	}
	s := strings.TrimSpace(*name)
	if !looksLikePhone(s) {
		return nil
	}
	num, err := phonenumbers.Parse(s, "")
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return nil
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	return &e164
}

// looksLikePhone screens what reaches the phone number parser: "+", then
// digits (at most 15, the E.164 maximum) and separators only.
func looksLikePhone(s string) bool {
	if len(s) < 2 || len(s) > 32 || s[0] != '+' {
		return false
	}
	digits := 0
	for _, r := range s[1:] {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" -.()", r):
		default:
			return false
		}
	}
	return digits >= 2 && digits <= 15
}
