package callwidget

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"switchboard/internal/domain"
	"switchboard/internal/upstream/upstreamhttp"
)

// A 422 from an action endpoint is CallWidget refusing the caller's input
// (an install that is not the account's, a birthday it cannot read): the
// caller's error, not the gateway's. The docs list no 422 and give no error
// body; the API is a Laravel app, whose 422 is
//
//	{"message": "The given data was invalid.",
//	 "errors": {"install": ["The selected install is invalid."], "bday": [...]}}
//
// so that body is read, each vendor field renamed to the gateway's (bday →
// birthday, tag and tags → tags, tag.2 → tags[2]) in the field and in its
// message, and the whole answered as a 422 validation problem. A 422 whose
// body is not that shape still is the upstream refusing the input: it is
// reported on the "body" field with the upstream's top-level message.

// refusalFieldOrder lists the gateway's fields in the order of its request
// body, which is the order refusals are reported in.
var refusalFieldOrder = []string{"phone", "install", "first_name", "last_name", "email", "department", "birthday", "tags", "message", "id", "body"}

// vendorFields maps the vendor's request fields to the gateway's. The
// automation id travels in the gateway's path as {id}.
var vendorFields = map[string]string{
	"phone": "phone", "install": "install", "first_name": "first_name", "last_name": "last_name",
	"email": "email", "department": "department", "bday": "birthday", "tag": "tags", "tags": "tags",
	"message": "message", "automation": "id",
}

// maxRefusalMessage caps one upstream message passed to the caller.
const maxRefusalMessage = 300

// refusalBody is the Laravel validation answer.
type refusalBody struct {
	Message string                     `json:"message"`
	Errors  map[string]json.RawMessage `json:"errors"`
}

// elementKey matches a vendor array-element field such as "tag.2".
var elementKey = regexp.MustCompile(`^(tag|tags)\.(\d+)$`)

// refusalError reads a 422 answer (at most ErrorBodyLimit bytes) into a
// validation *domain.Error marked Unprocessable, whose cause, for the log,
// is the sanitized StatusError.
func refusalError(r *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, upstreamhttp.ErrorBodyLimit))
	cause := &upstreamhttp.StatusError{StatusCode: r.StatusCode, Body: upstreamhttp.SanitizeBody(raw)}
	if r.Request != nil {
		cause.Method, cause.URL = r.Request.Method, upstreamhttp.SanitizeURL(r.Request.URL)
	}
	fields := refusalFields(raw)
	e := domain.ValidationError(fields...)
	if len(fields) > 1 {
		e.Message = displayName + " refused the request: " + fields[0].Field + ": " + fields[0].Message
	}
	e.Unprocessable = true
	e.Err = cause
	return e
}

// refusalFields turns a refusal body into field errors named as the
// gateway names its fields, ordered as its request body lists them.
func refusalFields(raw []byte) []domain.FieldError {
	var body refusalBody
	dec := json.NewDecoder(bytes.NewReader(raw))
	_ = dec.Decode(&body) // a body of another shape keeps what was read
	var out []domain.FieldError
	for key, val := range body.Errors {
		field := gatewayField(key)
		for _, msg := range refusalMessages(val) {
			out = append(out, domain.FieldError{Field: field, Message: gatewayMessage(key, field, msg)})
		}
	}
	if len(out) == 0 {
		msg := cleanMessage(body.Message)
		if msg == "" {
			msg = "was refused by " + displayName + " without a reason"
		}
		out = append(out, domain.FieldError{Field: "body", Message: msg})
	}
	slices.SortStableFunc(out, func(a, b domain.FieldError) int {
		if c := fieldRank(a.Field) - fieldRank(b.Field); c != 0 {
			return c
		}
		if c := strings.Compare(a.Field, b.Field); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	return out
}

// gatewayField names a vendor field the gateway's way. A field the gateway
// does not know is reported on "body": its vendor name means nothing to
// the caller.
func gatewayField(key string) string {
	if m := elementKey.FindStringSubmatch(key); m != nil {
		return "tags[" + m[2] + "]"
	}
	if f, ok := vendorFields[key]; ok {
		return f
	}
	return "body"
}

// fieldRank orders fields as refusalFieldOrder does; tags[i] with tags.
func fieldRank(field string) int {
	base, _, _ := strings.Cut(field, "[")
	if i := slices.Index(refusalFieldOrder, base); i >= 0 {
		return i
	}
	return len(refusalFieldOrder)
}

// refusalMessages reads one field's messages: a list of strings, as
// Laravel sends, or a single string.
func refusalMessages(raw json.RawMessage) []string {
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		var one string
		if json.Unmarshal(raw, &one) != nil {
			return []string{"is invalid"}
		}
		list = []string{one}
	}
	var out []string
	for _, m := range list {
		if m = cleanMessage(m); m != "" {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return []string{"is invalid"}
	}
	return out
}

// gatewayMessage renames the vendor field in one of its messages, as
// Laravel writes it ("The bday is not a valid date.", "The tag.0 must be a
// string.", "The first name may not be ..."), to the gateway's field.
//
// The automation keeps its name: "automation" reads right in a message
// about the path's {id}, and an unknown field's message is left as is.
func gatewayMessage(key, field, msg string) string {
	if key == field || field == "body" || key == "automation" {
		return msg
	}
	for _, spelled := range []string{key, strings.ReplaceAll(key, "_", " ")} {
		re := regexp.MustCompile(`\b` + regexp.QuoteMeta(spelled) + `\b`)
		msg = re.ReplaceAllLiteralString(msg, field)
	}
	return msg
}

// cleanMessage makes an upstream message fit a problem document: valid
// UTF-8, one line, at most maxRefusalMessage bytes.
func cleanMessage(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if len(s) > maxRefusalMessage {
		cut := maxRefusalMessage
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
