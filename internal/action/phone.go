package action

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"switchboard/internal/domain"
)

// Reasons a phone number is refused, phrased to follow a field name.
const (
	msgPhoneFormat  = "must be in E.164 format: '+', the country code and the number, digits only (e.g. +17862455063)"
	msgPhoneInvalid = "is not a valid phone number for its country code"
	// msgInstallID answers an install given by its id: installs are named
	// by their phone number, which the caller can look up.
	msgInstallID = "looks like an install id; give the install's phone number in E.164 instead (GET /v1/installs lists them as phone, e.g. +17866275049)"
)

// maxIDDigits bounds what counts as an id: the lookups' ids are small
// integers, and a longer run of digits is more likely a phone number
// without its '+', which msgPhoneFormat explains.
const maxIDDigits = 6

// maxE164Digits is E.164's limit on the digits of a number, country code
// included (ITU-T E.164 §6).
const maxE164Digits = 15

// ParsePhone validates an E.164 number and returns it normalized (as
// phonenumbers formats E.164, which drops a national trunk prefix written
// after the country code, e.g. "+4402071234567" → "+442071234567").
// Surrounding whitespace is trimmed; anything else that is not '+' and
// digits is refused rather than guessed at, national formats included. The
// number must be valid for its country's numbering plan, not merely
// well-formed. An error is a validation *domain.Error.
func ParsePhone(s string) (string, error) {
	e164, reason := parsePhone(s)
	if reason != "" {
		return "", domain.Errorf(domain.CodeValidation, "the phone number %s", reason)
	}
	return e164, nil
}

// parsePhone is ParsePhone returning the reason for a refusal instead of
// an error, for use in a field error.
func parsePhone(s string) (e164, reason string) {
	s = strings.TrimSpace(s)
	if !isE164(s) {
		return "", msgPhoneFormat
	}
	num, err := parseNumber(s)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", msgPhoneInvalid
	}
	e164 = phonenumbers.Format(num, phonenumbers.E164)
	if !isE164(e164) {
		return "", msgPhoneInvalid
	}
	return e164, ""
}

// isE164 reports whether s is '+', a non-zero digit, and at most 14 more
// digits, and nothing else.
func isE164(s string) bool {
	if len(s) < 2 || len(s) > 1+maxE164Digits || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseNumber calls phonenumbers.Parse with no default region, so only an
// international number parses. The library is a large port of
// libphonenumber; a panic inside it on some unforeseen input must refuse
// the number, not break the promise that no input makes this package
// panic. Inputs reaching here are already short and '+'-and-digits only.
func parseNumber(s string) (num *phonenumbers.PhoneNumber, err error) {
	defer func() {
		if p := recover(); p != nil {
			num, err = nil, fmt.Errorf("action: parse phone number: panic: %v", p)
		}
	}()
	return phonenumbers.Parse(s, "")
}

// looksLikeID reports whether an install value is an id rather than a
// phone number: a JSON number, or a string of at most maxIDDigits digits.
func looksLikeID(raw []byte, s string) bool {
	if len(raw) > 0 && raw[0] != '"' {
		s = string(raw)
	}
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxIDDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
