package action

import (
	"fmt"
	"strings"
	"testing"
)

func TestDecodeRefusesInvalidBodies(t *testing.T) {
	long := strings.Repeat("a", MaxNameChars+1)
	tags51 := `"tags": [` + strings.Repeat(`"t",`, MaxTags) + `"t"]`
	deep := `"extra": ` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001)
	tests := []struct {
		name   string
		kind   Kind
		body   string
		fields []string
	}{
		// The body as a whole.
		{"an empty body is refused", KindContact, "", []string{"body"}},
		{"a blank body is refused", KindContact, " \n\t", []string{"body"}},
		{"a form body is refused", KindContact, "phone=%2B17862455063", []string{"body"}},
		{"an array is refused", KindContact, `[{"phone": "+17862455063"}]`, []string{"body"}},
		{"a string is refused", KindContact, `"+17862455063"`, []string{"body"}},
		{"null is refused", KindContact, `null`, []string{"body"}},
		{"a second object after the first is refused", KindContact, body() + ` {}`, []string{"body"}},
		{"garbage after the object is refused", KindContact, body() + `x`, []string{"body"}},
		{"a truncated object is refused", KindContact, `{"phone": "+17862455063"`, []string{"body"}},
		{"a truncated value is refused", KindContact, `{"phone": `, []string{"body"}},
		{"a trailing comma is refused", KindContact, `{"phone": "+17862455063",}`, []string{"body"}},
		{"a single-quoted string is refused", KindContact, `{'phone': '+17862455063'}`, []string{"body"}},
		{"nesting beyond the decoder's depth is refused", KindContact, body(deep), []string{"body"}},
		{"a key with invalid UTF-8 is refused", KindContact, body("\"na\xffme\": \"x\""), []string{"body"}},
		{"a key with a lone surrogate is refused", KindContact, body(`"na\udc00me": "x"`), []string{"body"}},

		// Keys.
		{"an unknown field is refused", KindContact, body(`"nickname": "T"`), []string{"nickname"}},
		{"the upstream's tag spelling is an unknown field", KindContact, body(`"tag": ["vip"]`), []string{"tag"}},
		{"keys are case-sensitive", KindContact, `{"Phone": "+17862455063", "install": "+17866275049"}`, []string{"phone", "Phone"}},
		{"a repeated field is refused", KindContact, body(`"phone": "+17862455063"`), []string{"phone"}},
		{"an unknown field with a deep value is refused", KindContact, body(`"x": {"a": {"b": [1, 2, {"c": null}]}}`), []string{"x"}},

		// phone and install.
		{"a missing phone is refused", KindContact, `{"install": "+17866275049"}`, []string{"phone"}},
		{"a missing install is refused", KindContact, `{"phone": "+17862455063"}`, []string{"install"}},
		{"an empty object lacks both numbers", KindContact, `{}`, []string{"phone", "install"}},
		{"a null phone is missing", KindContact, `{"phone": null, "install": "+17866275049"}`, []string{"phone"}},
		{"an empty phone is missing", KindContact, `{"phone": "", "install": "+17866275049"}`, []string{"phone"}},
		{"a blank phone is missing", KindContact, `{"phone": "  ", "install": "+17866275049"}`, []string{"phone"}},
		{"a numeric phone is refused", KindContact, `{"phone": 17862455063, "install": "+17866275049"}`, []string{"phone"}},
		{"a national-format phone is refused", KindContact, `{"phone": "7862455063", "install": "+17866275049"}`, []string{"phone"}},
		{"a phone with spaces is refused", KindContact, `{"phone": "+1 786 245 5063", "install": "+17866275049"}`, []string{"phone"}},
		{"a phone with dashes is refused", KindContact, `{"phone": "+1-786-245-5063", "install": "+17866275049"}`, []string{"phone"}},
		{"a phone of 16 digits is refused", KindContact, `{"phone": "+1786245506312345", "install": "+17866275049"}`, []string{"phone"}},
		{"a number outside the numbering plan is refused", KindContact, `{"phone": "+15555555555", "install": "+17866275049"}`, []string{"phone"}},
		{"an unassigned country code is refused", KindContact, `{"phone": "+9991234567", "install": "+17866275049"}`, []string{"phone"}},
		{"an invalid install is refused", KindContact, `{"phone": "+17862455063", "install": "+1786627504"}`, []string{"install"}},
		{"an install given as an array is refused", KindContact, `{"phone": "+17862455063", "install": ["+17866275049"]}`, []string{"install"}},

		// Names and department.
		{"a first name of 257 characters is refused", KindContact, body(`"first_name": "` + long + `"`), []string{"first_name"}},
		{"a last name of 257 characters is refused", KindContact, body(`"last_name": "` + long + `"`), []string{"last_name"}},
		{"a department of 257 characters is refused", KindContact, body(`"department": "` + long + `"`), []string{"department"}},
		{"a numeric first name is refused", KindContact, body(`"first_name": 42`), []string{"first_name"}},
		{"a boolean last name is refused", KindContact, body(`"last_name": true`), []string{"last_name"}},
		{"an object department is refused", KindContact, body(`"department": {"name": "Sales"}`), []string{"department"}},
		{"a name with a line break is refused", KindContact, body(`"first_name": "Te\nst"`), []string{"first_name"}},
		{"a name with a NUL is refused", KindContact, body(`"last_name": "Us\u0000er"`), []string{"last_name"}},
		{"a name with invalid UTF-8 is refused", KindContact, body("\"first_name\": \"Te\xc3st\""), []string{"first_name"}},
		{"a name with a lone high surrogate is refused", KindContact, body(`"first_name": "Te\ud83dst"`), []string{"first_name"}},
		{"a name with a lone low surrogate is refused", KindContact, body(`"last_name": "\ude00"`), []string{"last_name"}},

		// email.
		{"an address without @ is refused", KindContact, body(`"email": "testuser.gmail.com"`), []string{"email"}},
		{"an address with a display name is refused", KindContact, body(`"email": "Test User <testuser@gmail.com>"`), []string{"email"}},
		{"an address in angle brackets is refused", KindContact, body(`"email": "<testuser@gmail.com>"`), []string{"email"}},
		{"two addresses are refused", KindContact, body(`"email": "a@example.com, b@example.com"`), []string{"email"}},
		{"an address over 254 bytes is refused", KindContact, body(`"email": "` + strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + `.com"`), []string{"email"}},
		{"a numeric email is refused", KindContact, body(`"email": 1`), []string{"email"}},

		// birthday.
		{"a birthday without zero padding is refused", KindContact, body(`"birthday": "1990-6-2"`), []string{"birthday"}},
		{"a birthday in another format is refused", KindContact, body(`"birthday": "06/02/1990"`), []string{"birthday"}},
		{"a birthday with a time is refused", KindContact, body(`"birthday": "1990-06-02T00:00:00Z"`), []string{"birthday"}},
		{"February 30th is refused", KindContact, body(`"birthday": "2023-02-30"`), []string{"birthday"}},
		{"February 29th of a common year is refused", KindContact, body(`"birthday": "2023-02-29"`), []string{"birthday"}},
		{"month 13 is refused", KindContact, body(`"birthday": "2023-13-01"`), []string{"birthday"}},
		{"day zero is refused", KindContact, body(`"birthday": "2023-01-00"`), []string{"birthday"}},
		{"a birthday after today everywhere is refused", KindContact, body(`"birthday": "2024-06-17"`), []string{"birthday"}},
		{"a birthday years ahead is refused", KindContact, body(`"birthday": "2090-01-01"`), []string{"birthday"}},
		{"a birthday before 1900 is refused", KindContact, body(`"birthday": "1899-12-31"`), []string{"birthday"}},
		{"a numeric birthday is refused", KindContact, body(`"birthday": 19900602`), []string{"birthday"}},

		// tags.
		{"a tag string instead of a list is refused", KindContact, body(`"tags": "vip"`), []string{"tags"}},
		{"a tags object is refused", KindContact, body(`"tags": {"0": "vip"}`), []string{"tags"}},
		{"51 tags are refused", KindContact, body(tags51), []string{"tags"}},
		{"an empty tag is refused", KindContact, body(`"tags": ["vip", ""]`), []string{"tags[1]"}},
		{"a blank tag is refused", KindContact, body(`"tags": ["  "]`), []string{"tags[0]"}},
		{"a numeric tag is refused", KindContact, body(`"tags": ["a", "b", 3]`), []string{"tags[2]"}},
		{"a null tag is refused", KindContact, body(`"tags": [null]`), []string{"tags[0]"}},
		{"a nested tag list is refused", KindContact, body(`"tags": [["vip"]]`), []string{"tags[0]"}},
		{"a tag of 257 characters is refused", KindContact, body(`"tags": ["` + long + `"]`), []string{"tags[0]"}},
		{"a tag with a tab is refused", KindContact, body(`"tags": ["v\tip"]`), []string{"tags[0]"}},
		{"every bad tag is named", KindContact, body(`"tags": ["", "ok", 1, null]`), []string{"tags[0]", "tags[2]", "tags[3]"}},

		// message.
		{"a message on a contact is refused", KindContact, body(`"message": "hi"`), []string{"message"}},
		{"a message on an enrollment is refused", KindEnrollment, body(`"message": "hi"`), []string{"message"}},
		{"an empty message on a contact is refused too", KindContact, body(`"message": ""`), []string{"message"}},
		{"a text without a message is refused", KindMessage, body(), []string{"message"}},
		{"a text with a null message is refused", KindMessage, body(`"message": null`), []string{"message"}},
		{"an empty message is refused", KindCall, body(`"message": ""`), []string{"message"}},
		{"a blank message is refused", KindMessage, body(`"message": " \n "`), []string{"message"}},
		{"a message of 1601 characters is refused", KindMessage, body(`"message": "` + strings.Repeat("m", MaxMessageChars+1) + `"`), []string{"message"}},
		{"a numeric message is refused", KindCall, body(`"message": 1`), []string{"message"}},
		{"a message with an escape character is refused", KindMessage, body(`"message": "hi\u001b[31m"`), []string{"message"}},
		{"a message with invalid UTF-8 is refused", KindMessage, body("\"message\": \"h\xffi\""), []string{"message"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := decode(tt.kind, tt.body)
			if req != nil {
				t.Errorf("got request %+v, want nil", req)
			}
			assertFieldErrors(t, err, tt.fields...)
		})
	}
}

func TestDecodeReportsEveryErrorTogether(t *testing.T) {
	b := `{"phone": "786-245-5063", "first_name": 7, "last_name": "` + strings.Repeat("é", MaxNameChars+1) + `",
		"email": "nope", "birthday": "2030-01-01", "tags": ["vip", " ", 3], "message": "hi",
		"nickname": "x", "phone": "+17862455063"}`
	_, err := decode(KindContact, b)
	assertFieldErrors(t, err, "phone", "install", "first_name", "last_name", "email", "birthday",
		"tags[1]", "tags[2]", "message", "nickname", "phone")
	if got, want := domainError(t, err).Message, "the request is invalid"; got != want {
		t.Errorf("got message %q, want %q", got, want)
	}
}

func TestDecodeNamesOneInvalidFieldInTheMessage(t *testing.T) {
	_, err := decode(KindContact, body(`"nickname": "x"`))
	if got, want := domainError(t, err).Message, "nickname: unknown field"; got != want {
		t.Errorf("got message %q, want %q", got, want)
	}
}

func TestDecodeCapsTheUnknownFieldsListed(t *testing.T) {
	var extra []string
	for i := range 15 {
		extra = append(extra, fmt.Sprintf(`"x%d": %d`, i, i))
	}
	_, err := decode(KindContact, body(extra...))
	want := []string{"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "body"}
	assertFieldErrors(t, err, want...)
	if got, want := domainError(t, err).Fields[10].Message, "has 5 more unknown fields"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDecodeShortensALongUnknownKey(t *testing.T) {
	key := strings.Repeat("k", 1000)
	_, err := decode(KindContact, body(`"`+key+`": 1`))
	assertFieldErrors(t, err, strings.Repeat("k", maxKeyChars)+"…")
}
