package action

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"switchboard/internal/domain"
)

// Request is a decoded, valid action request body. Optional fields are
// nil when absent. A Request is not modified after Decode returns it, so
// it may be read from several goroutines.
type Request struct {
	// Phone is the contact's number, in E.164 ("+17862455063").
	Phone string
	// Install is the install's (the business line's) number, in E.164.
	Install string

	FirstName  *string
	LastName   *string
	Email      *string
	Department *string
	// Birthday is a real, past date as "YYYY-MM-DD".
	Birthday *string
	// Tags are trimmed, non-empty, in request order; nil when none.
	Tags []string
	// Message is the text body, verbatim; only calls and messages have one.
	Message *string
}

// The request body's field names.
const (
	keyPhone      = "phone"
	keyInstall    = "install"
	keyFirstName  = "first_name"
	keyLastName   = "last_name"
	keyEmail      = "email"
	keyDepartment = "department"
	keyBirthday   = "birthday"
	keyTags       = "tags"
	keyMessage    = "message"
)

// maxUnknownReported caps the unknown fields listed one by one, so that a
// 64 KiB body of junk keys yields a short problem; the rest are counted.
const maxUnknownReported = 10

// maxKeyChars caps how much of an unknown key is echoed back.
const maxKeyChars = 64

// Decode reads one action request body for the endpoint kind and validates
// it (see the package doc for the rules). contentType is the request's
// Content-Type header; now is the current time, for the birthday rule.
//
// Every error is a *domain.Error: unsupported-media-type, payload-too-large,
// or validation with every invalid field listed. An invalid kind is a
// programming error and returns internal.
func Decode(body io.Reader, contentType string, kind Kind, now time.Time) (*Request, error) {
	if !kind.Valid() {
		return nil, domain.Wrap(fmt.Errorf("action: decode: unknown kind %d", int(kind)),
			domain.CodeInternal, "an internal error occurred")
	}
	if err := checkContentType(contentType); err != nil {
		return nil, err
	}
	data, err := readBody(body)
	if err != nil {
		return nil, err
	}
	members, ferr := splitObject(data)
	if ferr != nil {
		return nil, domain.ValidationError(*ferr)
	}
	fields, keyErrs := sortMembers(members)
	v := validator{now: now}
	req := v.request(fields, kind)
	v.errs = append(v.errs, keyErrs...)
	if len(v.errs) > 0 {
		return nil, domain.ValidationError(v.errs...)
	}
	return req, nil
}

// sortMembers returns the known fields' values by key, and the errors
// for unknown, repeated and unreadable keys, which are listed after the
// known fields' own errors.
func sortMembers(members []member) (map[string]json.RawMessage, []domain.FieldError) {
	fields := make(map[string]json.RawMessage)
	var errs []domain.FieldError
	unknown, badKey := 0, false
	for _, m := range members {
		switch {
		case !m.keyValid:
			badKey = true
		case isKnownKey(m.key):
			if _, dup := fields[m.key]; dup {
				errs = append(errs, domain.FieldError{Field: m.key, Message: msgDuplicate})
				continue
			}
			fields[m.key] = m.value
		default:
			if unknown++; unknown <= maxUnknownReported {
				errs = append(errs, domain.FieldError{Field: shortKey(m.key), Message: msgUnknown})
			}
		}
	}
	if unknown > maxUnknownReported {
		errs = append(errs, domain.FieldError{Field: fieldBody,
			Message: "has " + strconv.Itoa(unknown-maxUnknownReported) + " more unknown fields"})
	}
	if badKey {
		errs = append(errs, domain.FieldError{Field: fieldBody, Message: "has a field name that is not valid UTF-8"})
	}
	return fields, errs
}

// isKnownKey reports whether key is a request body field. Keys match
// exactly: "Phone" is unknown, unlike encoding/json's folding.
func isKnownKey(key string) bool {
	switch key {
	case keyPhone, keyInstall, keyFirstName, keyLastName, keyEmail,
		keyDepartment, keyBirthday, keyTags, keyMessage:
		return true
	}
	return false
}

// shortKey returns key cut to maxKeyChars code points for echoing.
func shortKey(key string) string {
	if utf8.RuneCountInString(key) <= maxKeyChars {
		return key
	}
	return string([]rune(key)[:maxKeyChars]) + "…"
}
