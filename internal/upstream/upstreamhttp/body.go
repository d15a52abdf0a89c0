package upstreamhttp

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// LoggedBodyLimit caps the part of an upstream error body that reaches an
// error cause, and so a log line: enough to read the upstream's complaint,
// too little to copy a whole record into the log.
const LoggedBodyLimit = 512

var (
	// secretField matches a JSON member or form/query pair whose name says
	// it holds a credential, up to the end of its value.
	secretField = regexp.MustCompile(`(?i)("?(?:access_token|refresh_token|token|password|client_secret|secret|api_key|authorization)"?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|[^\s,&}]+)`)
	// bearer matches an Authorization header value echoed in a body.
	bearer = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}`)
	// digitRun matches a phone-number-like run: 7 or more digits, possibly
	// with a leading + and separators inside.
	digitRun = regexp.MustCompile(`\+?\d(?:[\d\s().-]{5,}\d)`)
)

// SanitizeBody turns an upstream answer's body into text fit for a log-only
// error cause: credential-like fields and Authorization values redacted,
// phone-number-like digit runs masked to their last two digits, control
// characters and runs of whitespace collapsed to one space, invalid UTF-8
// replaced, and the result capped at LoggedBodyLimit bytes (cut on a rune
// boundary, marked with "…").
//
// Upstreams echo what they were sent (a phone number, an email address and
// password on a failed login), so a raw error body is never logged.
func SanitizeBody(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = bearer.ReplaceAllString(s, `$1 [REDACTED]`)
	s = secretField.ReplaceAllString(s, `${1}"[REDACTED]"`)
	s = digitRun.ReplaceAllStringFunc(s, maskDigits)
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
	if len(s) > LoggedBodyLimit {
		cut := LoggedBodyLimit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// maskDigits keeps the last two digits of a phone-number-like run.
func maskDigits(run string) string {
	digits := 0
	for i := 0; i < len(run); i++ {
		if run[i] >= '0' && run[i] <= '9' {
			digits++
		}
	}
	if digits < 7 {
		return run
	}
	last := run[len(run)-2:]
	return "***" + last
}
