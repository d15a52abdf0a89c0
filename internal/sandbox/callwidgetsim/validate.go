package callwidgetsim

import (
	"encoding/json"
	"net/mail"
	"strconv"
	"time"
	"unicode/utf8"
)

// isE164 reports whether s is in the international format the docs require
// of phone and install: '+', a non-zero digit, then 6 to 14 more digits.
func isE164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// maxNameLen is the docs' 256-character limit on first and last names.
const maxNameLen = 256

// fieldErrors collects validation messages per field, Laravel style.
type fieldErrors map[string][]string

func (e fieldErrors) add(field, msg string) { e[field] = append(e[field], msg) }

// actionInput is an action request after validation. Optional strings are
// nil when absent, null or empty.
type actionInput struct {
	phone, install                                        string
	firstName, lastName, email, department, bday, message *string
	automation                                            int64 // -1 when not an integer
}

// parseAction validates the documented request fields leniently: unknown
// fields are ignored, as are tags. The docs' tables call the tag list
// "tags" while every example sends "tag"; both are accepted (an array of
// strings, or one string) and neither is echoed, like the docs' answers.
func parseAction(spec actionSpec, body map[string]any) (actionInput, fieldErrors) {
	errs := fieldErrors{}
	in := actionInput{automation: -1}
	if p := optString(body, "phone", 0, errs); p == nil {
		errs.add("phone", "The phone field is required.")
	} else if in.phone = *p; !isE164(in.phone) {
		errs.add("phone", "The phone format is invalid.")
	}
	if p := optString(body, "install", 0, errs); p == nil {
		errs.add("install", "The install field is required.")
	} else if in.install = *p; !isE164(in.install) {
		errs.add("install", "The install format is invalid.")
	}
	in.firstName = optString(body, "first_name", maxNameLen, errs)
	in.lastName = optString(body, "last_name", maxNameLen, errs)
	if in.email = optString(body, "email", 0, errs); in.email != nil {
		if a, err := mail.ParseAddress(*in.email); err != nil || a.Address != *in.email {
			errs.add("email", "The email must be a valid email address.")
		}
	}
	in.department = optString(body, "department", 0, errs)
	if in.bday = optString(body, "bday", 0, errs); in.bday != nil {
		if _, err := time.Parse(time.DateOnly, *in.bday); err != nil {
			errs.add("bday", "The bday is not a valid date.")
		}
	}
	if spec.message {
		in.message = optString(body, "message", 0, errs)
	}
	for _, key := range []string{"tag", "tags"} {
		checkTags(body, key, errs)
	}
	if spec.automation {
		parseAutomation(body, &in, errs)
	}
	return in, errs
}

// optString returns body[key] as a string: nil when absent, null or "",
// and an error when it is not a string or is longer than maxLen runes.
func optString(body map[string]any, key string, maxLen int, errs fieldErrors) *string {
	switch v := body[key].(type) {
	case nil:
		return nil
	case string:
		if v == "" {
			return nil
		}
		if maxLen > 0 && utf8.RuneCountInString(v) > maxLen {
			errs.add(key, "The "+key+" may not be greater than "+strconv.Itoa(maxLen)+" characters.")
		}
		return &v
	default:
		errs.add(key, "The "+key+" must be a string.")
		return nil
	}
}

// checkTags accepts an absent or null list, one string, or an array of
// strings.
func checkTags(body map[string]any, key string, errs fieldErrors) {
	switch v := body[key].(type) {
	case nil, string:
	case []any:
		for _, t := range v {
			if _, ok := t.(string); !ok {
				errs.add(key, "The "+key+" must be an array of strings.")
				return
			}
		}
	default:
		errs.add(key, "The "+key+" must be an array.")
	}
}

// parseAutomation reads the required automation id. The docs send it as a
// string ("1"); a JSON number is accepted too. A value that is not an
// integer cannot name an automation and ends as a 404, like an unknown id.
func parseAutomation(body map[string]any, in *actionInput, errs fieldErrors) {
	var raw string
	switch v := body["automation"].(type) {
	case nil:
		errs.add("automation", "The automation field is required.")
		return
	case string:
		raw = v
	case json.Number:
		raw = v.String()
	default:
		errs.add("automation", "The automation must be a string.")
		return
	}
	if raw == "" {
		errs.add("automation", "The automation field is required.")
		return
	}
	if id, err := strconv.ParseInt(raw, 10, 64); err == nil {
		in.automation = id
	}
}
