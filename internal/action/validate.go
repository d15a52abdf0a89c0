package action

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/domain"
)

// validator collects field errors while a body is checked.
type validator struct {
	now  time.Time
	errs []domain.FieldError
}

// add records one field error.
func (v *validator) add(field, msg string) {
	v.errs = append(v.errs, domain.FieldError{Field: field, Message: msg})
}

// request validates every known field, in the order of the Request's
// fields (which is the order their errors are listed in), and builds the
// Request; it is meaningful only when no error was added.
func (v *validator) request(f map[string]json.RawMessage, kind Kind) *Request {
	req := &Request{
		Phone:      v.phone(keyPhone, f[keyPhone]),
		Install:    v.phone(keyInstall, f[keyInstall]),
		FirstName:  v.text(keyFirstName, f[keyFirstName], checkName),
		LastName:   v.text(keyLastName, f[keyLastName], checkName),
		Email:      v.text(keyEmail, f[keyEmail], checkEmail),
		Department: v.text(keyDepartment, f[keyDepartment], checkName),
		Birthday: v.text(keyBirthday, f[keyBirthday], func(s string) string {
			return checkBirthday(s, v.now)
		}),
		Tags: v.tags(f[keyTags]),
	}
	req.Message = v.message(f[keyMessage], kind.messageRule())
	return req
}

// checkName checks a name, department or tag.
func checkName(s string) string { return checkText(s, MaxNameChars) }

// phone validates a required E.164 number and returns it normalized.
func (v *validator) phone(key string, raw json.RawMessage) string {
	s, present, msg := jsonString(raw)
	switch {
	case key == keyInstall && looksLikeID(raw, s):
		v.add(key, msgInstallID)
		return ""
	case msg != "":
		v.add(key, msg)
		return ""
	case !present || strings.TrimSpace(s) == "":
		v.add(key, msgRequired)
		return ""
	}
	e164, reason := parsePhone(s)
	if reason != "" {
		v.add(key, reason)
	}
	return e164
}

// text validates an optional single-line string: trimmed, absent when
// empty, then check returns the message for an invalid value or "".
func (v *validator) text(key string, raw json.RawMessage, check func(string) string) *string {
	s, present, msg := jsonString(raw)
	if msg != "" {
		v.add(key, msg)
		return nil
	}
	s = strings.TrimSpace(s)
	if !present || s == "" {
		return nil
	}
	if msg := check(s); msg != "" {
		v.add(key, msg)
	}
	return &s
}

// tags validates the optional tag list; errors name the element
// ("tags[3]"). An empty list is the same as none.
func (v *validator) tags(raw json.RawMessage) []string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var elems []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &elems) != nil {
		v.add(keyTags, msgTagsType)
		return nil
	}
	if len(elems) > MaxTags {
		v.add(keyTags, fmt.Sprintf("must have at most %d items (got %d)", MaxTags, len(elems)))
		return nil
	}
	var tags []string
	for i, raw := range elems {
		field := keyTags + "[" + strconv.Itoa(i) + "]"
		s, present, msg := jsonString(raw)
		s = strings.TrimSpace(s)
		switch {
		case msg != "":
		case !present:
			msg = msgString
		case s == "":
			msg = msgEmpty
		default:
			msg = checkName(s)
		}
		if msg != "" {
			v.add(field, msg)
			continue
		}
		tags = append(tags, s)
	}
	return tags
}

// message validates the text body against the endpoint's rule.
func (v *validator) message(raw json.RawMessage, rule messageRule) *string {
	s, present, msg := jsonString(raw)
	switch {
	case !present && rule == messageRequired:
		v.add(keyMessage, msgRequired)
		return nil
	case !present:
		return nil
	case rule == messageForbidden:
		v.add(keyMessage, msgNotAllowed)
		return nil
	case msg != "":
		v.add(keyMessage, msg)
		return nil
	}
	if msg := checkMessage(s); msg != "" {
		v.add(keyMessage, msg)
	}
	return &s
}
