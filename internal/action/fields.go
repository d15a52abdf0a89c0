package action

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Field limits of SPEC §3 and the CallWidget docs.
const (
	// MaxNameChars caps first_name, last_name (the docs' "256 character
	// limit"), department and each tag, in Unicode code points.
	MaxNameChars = 256
	// MaxEmailOctets is the SMTP path limit (RFC 5321 §4.5.3.1.3), counted
	// in bytes as SMTP counts it.
	MaxEmailOctets = 254
	// MaxTags is the most tags one request may carry.
	MaxTags = 50
	// MaxMessageChars caps message, in Unicode code points.
	MaxMessageChars = 1600
	// MinBirthYear is the earliest birthday year accepted; older dates are
	// typing mistakes rather than customers.
	MinBirthYear = 1900
)

// latestTimeZone is the offset of the easternmost time zone (UTC+14,
// Line Islands): a birthday is in the future only once it is after today
// there.
const latestTimeZone = 14 * time.Hour

// Field error messages shared by several fields.
const (
	msgRequired    = "is required"
	msgString      = "must be a string"
	msgUTF8        = "must be valid UTF-8 text"
	msgControl     = "must not contain control characters"
	msgNotAllowed  = "is not allowed on this endpoint"
	msgUnknown     = "unknown field"
	msgDuplicate   = "is given more than once"
	msgTagsType    = "must be an array of strings"
	msgEmpty       = "must not be empty"
	msgEmail       = "must be a valid email address such as name@example.com, without a display name"
	msgDateFormat  = "must be a date in YYYY-MM-DD format"
	msgDateInvalid = "is not a real calendar date"
	msgDateFuture  = "must not be in the future"
)

// jsonString decodes a raw JSON value that should be a string. present is
// false for an absent value or null; msg is non-empty for a wrong type or
// invalid text.
func jsonString(raw json.RawMessage) (s string, present bool, msg string) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, ""
	}
	if raw[0] != '"' {
		return "", true, msgString
	}
	if !utf8.Valid(raw) || hasLoneSurrogate(raw) {
		return "", true, msgUTF8
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", true, msgString
	}
	return s, true, ""
}

// checkText returns the message for a trimmed single-line text that is
// too long or holds control characters, or "".
func checkText(s string, maxChars int) string {
	if n := utf8.RuneCountInString(s); n > maxChars {
		return fmt.Sprintf("must be at most %d characters (got %d)", maxChars, n)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return msgControl
	}
	return ""
}

// checkMessage returns the message for an invalid text body, or "". The
// body is not trimmed; only tab and line breaks among control characters
// are allowed in it.
func checkMessage(s string) string {
	if strings.TrimSpace(s) == "" {
		return msgEmpty
	}
	if n := utf8.RuneCountInString(s); n > MaxMessageChars {
		return fmt.Sprintf("must be at most %d characters (got %d)", MaxMessageChars, n)
	}
	if strings.IndexFunc(s, isMessageControl) >= 0 {
		return msgControl + " other than tab and line breaks"
	}
	return ""
}

// isMessageControl reports a control character not allowed in a message.
func isMessageControl(r rune) bool {
	return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
}

// checkEmail returns the message for an invalid trimmed address, or "".
// Only a bare addr-spec is accepted: net/mail must parse it back to
// exactly the input, which refuses display names and angle brackets.
func checkEmail(s string) string {
	if len(s) > MaxEmailOctets {
		return fmt.Sprintf("must be at most %d bytes", MaxEmailOctets)
	}
	if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
		return msgEmail
	}
	return ""
}

// checkBirthday returns the message for an invalid trimmed birthday, or
// "". now is the decoding time; see latestTimeZone for "the future".
func checkBirthday(s string, now time.Time) string {
	if !isDateShape(s) {
		return msgDateFormat
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return msgDateInvalid
	}
	if d.Year() < MinBirthYear {
		return fmt.Sprintf("must be in %d or later", MinBirthYear)
	}
	y, m, day := now.UTC().Add(latestTimeZone).Date()
	if d.After(time.Date(y, m, day, 0, 0, 0, 0, time.UTC)) {
		return msgDateFuture
	}
	return ""
}

// isDateShape reports whether s is four, two and two ASCII digits joined
// by hyphens; time.Parse alone would accept other shapes.
func isDateShape(s string) bool {
	if len(s) != len("2006-01-02") {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch {
		case i == 4 || i == 7:
			if s[i] != '-' {
				return false
			}
		case s[i] < '0' || s[i] > '9':
			return false
		}
	}
	return true
}
