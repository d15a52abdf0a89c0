package action

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"switchboard/internal/domain"
)

// fieldBody names the body as a whole in a field error, for problems that
// belong to no single field.
const fieldBody = "body"

// member is one key/value pair of the top-level object, in body order.
type member struct {
	// key is the decoded key; invalid UTF-8 in it reads as U+FFFD.
	key string
	// keyValid is false when the key's bytes were not valid UTF-8 or it
	// escaped a lone UTF-16 surrogate.
	keyValid bool
	value    json.RawMessage
}

// jsonSpace is the whitespace JSON allows between tokens (RFC 8259 §2).
const jsonSpace = " \t\r\n"

// splitObject parses data as exactly one JSON object and returns its
// members in order, duplicates included, so that the caller can report
// every unknown, repeated or mistyped field at once. Anything else (not
// JSON, not an object, data after the object, nesting deeper than
// encoding/json's limit) is one field error on "body".
func splitObject(data []byte) ([]member, *domain.FieldError) {
	if len(bytes.Trim(data, jsonSpace)) == 0 {
		return nil, bodyError("must be a JSON object; the body is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(err)
	}
	if tok != json.Delim('{') {
		return nil, bodyError("must be a JSON object")
	}
	var members []member
	for dec.More() {
		start := dec.InputOffset()
		keyTok, err := dec.Token()
		if err != nil {
			return nil, syntaxError(err)
		}
		key, ok := keyTok.(string)
		if !ok {
			return nil, bodyError("is not valid JSON: expected a field name")
		}
		rawKey := data[start:dec.InputOffset()]
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, syntaxError(err)
		}
		members = append(members, member{
			key:      key,
			keyValid: utf8.Valid(rawKey) && !hasLoneSurrogate(rawKey),
			value:    bytes.Trim(value, jsonSpace),
		})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, syntaxError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bodyError("must hold a single JSON object; there is more data after it")
	}
	return members, nil
}

// bodyError returns a field error on "body".
func bodyError(msg string) *domain.FieldError {
	return &domain.FieldError{Field: fieldBody, Message: msg}
}

// syntaxError describes a decoding failure for the caller. encoding/json's
// syntax messages quote the offending byte safely and carry its offset.
func syntaxError(err error) *domain.FieldError {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se) && strings.Contains(se.Error(), "max depth"):
		return bodyError(fmt.Sprintf("is nested too deeply (at byte %d)", se.Offset))
	case errors.As(err, &se):
		return bodyError(fmt.Sprintf("is not valid JSON: %s (at byte %d)", se.Error(), se.Offset))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return bodyError("is not valid JSON: unexpected end of input")
	}
	return bodyError("is not valid JSON")
}

// hasLoneSurrogate reports whether raw JSON text escapes a UTF-16 surrogate
// that is not part of a pair (such as "\ud800"). encoding/json silently
// turns those into U+FFFD; they are refused like invalid UTF-8 instead.
// raw must be valid JSON text (or a fragment of it between tokens).
func hasLoneSurrogate(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 >= len(raw) {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // skip the escaped character, which may be a backslash
			continue
		}
		r := hex4(raw, i+2)
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		case r >= 0xD800 && r <= 0xDBFF:
			if i+7 >= len(raw) || raw[i+6] != '\\' || raw[i+7] != 'u' {
				return true
			}
			if lo := hex4(raw, i+8); lo < 0xDC00 || lo > 0xDFFF {
				return true
			}
			i += 11
		default:
			i += 5
		}
	}
	return false
}

// hex4 returns the value of the four hex digits at raw[at:], or -1.
func hex4(raw []byte, at int) int {
	if at+4 > len(raw) {
		return -1
	}
	v := 0
	for _, c := range raw[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | int(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | int(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v<<4 | int(c-'A'+10)
		default:
			return -1
		}
	}
	return v
}
