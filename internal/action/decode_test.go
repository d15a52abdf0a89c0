package action

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"switchboard/internal/domain"
)

func TestDecodeAcceptsValidBodies(t *testing.T) {
	full := `{
		"phone": "+17862455063", "install": "+17866275049",
		"first_name": "Test", "last_name": "User", "email": "testuser@gmail.com",
		"department": "Sales", "birthday": "1990-06-02", "tags": ["vip", "lead"]`
	fullWant := Request{Phone: contactPhone, Install: installPhone, FirstName: ptr("Test"), LastName: ptr("User"),
		Email: ptr("testuser@gmail.com"), Department: ptr("Sales"), Birthday: ptr("1990-06-02"),
		Tags: []string{"vip", "lead"}}
	withMessage := fullWant
	withMessage.Message = ptr("Test Message")
	tests := []struct {
		name string
		kind Kind
		body string
		want Request
	}{
		{"a contact with only the required fields is accepted", KindContact, body(),
			Request{Phone: contactPhone, Install: installPhone}},
		{"a contact with every field is accepted", KindContact, full + "}", fullWant},
		{"a call without a message is accepted", KindCall, full + "}", fullWant},
		{"a call with a message is accepted", KindCall, full + `, "message": "Test Message"}`, withMessage},
		{"a text with a message is accepted", KindMessage, full + `, "message": "Test Message"}`, withMessage},
		{"an enrollment with every field is accepted", KindEnrollment, full + "}", fullWant},
		{"null optional fields are absent", KindContact,
			body(`"first_name": null`, `"email": null`, `"birthday": null`, `"tags": null`, `"message": null`),
			Request{Phone: contactPhone, Install: installPhone}},
		{"empty optional strings and an empty tag list are absent", KindContact,
			body(`"first_name": ""`, `"last_name": "  "`, `"email": ""`, `"department": ""`, `"birthday": ""`, `"tags": []`),
			Request{Phone: contactPhone, Install: installPhone}},
		{"surrounding whitespace is trimmed from everything but the message", KindCall,
			`{"phone": " +17862455063\t", "install": "+17866275049 ", "first_name": " Test ", "email": " testuser@gmail.com ",
			"birthday": " 1990-06-02 ", "tags": [" vip "], "message": "  two\nlines\n"}`,
			Request{Phone: contactPhone, Install: installPhone, FirstName: ptr("Test"), Email: ptr("testuser@gmail.com"),
				Birthday: ptr("1990-06-02"), Tags: []string{"vip"}, Message: ptr("  two\nlines\n")}},
		{"a trunk prefix after the country code is normalized away", KindContact,
			`{"phone": "+4402071234567", "install": "+17866275049"}`,
			Request{Phone: "+442071234567", Install: installPhone}},
		{"escaped and non-Latin text is decoded", KindContact,
			body(`"first_name": "Jos\u00e9"`, `"last_name": "山田 😀"`),
			Request{Phone: contactPhone, Install: installPhone, FirstName: ptr("José"), LastName: ptr("山田 😀")}},
		{"a leap day is a real birthday", KindContact, body(`"birthday": "2020-02-29"`),
			Request{Phone: contactPhone, Install: installPhone, Birthday: ptr("2020-02-29")}},
		{"1900-01-01 is old enough", KindContact, body(`"birthday": "1900-01-01"`),
			Request{Phone: contactPhone, Install: installPhone, Birthday: ptr("1900-01-01")}},
		{"a birthday that is today in UTC is accepted", KindContact, body(`"birthday": "2024-06-15"`),
			Request{Phone: contactPhone, Install: installPhone, Birthday: ptr("2024-06-15")}},
		{"a birthday that is already today at UTC+14 is accepted", KindContact, body(`"birthday": "2024-06-16"`),
			Request{Phone: contactPhone, Install: installPhone, Birthday: ptr("2024-06-16")}},
		{"50 tags are accepted", KindContact, body(`"tags": [` + strings.Repeat(`"t",`, MaxTags-1) + `"t"]`),
			Request{Phone: contactPhone, Install: installPhone, Tags: repeat("t", MaxTags)}},
		{"a message may hold tabs and line breaks", KindMessage, body(`"message": "a\tb\r\nc"`),
			Request{Phone: contactPhone, Install: installPhone, Message: ptr("a\tb\r\nc")}},
		{"an escaped key matches its plain spelling", KindContact, `{"ph\u006fne": "+17862455063", "install": "+17866275049"}`,
			Request{Phone: contactPhone, Install: installPhone}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustDecode(t, tt.kind, tt.body)
			if !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("got %s, want %s", describe(got), describe(&tt.want))
			}
		})
	}
}

// repeat returns n copies of s.
func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// describe prints a Request with its pointers dereferenced.
func describe(r *Request) string {
	deref := func(p *string) string {
		if p == nil {
			return "<nil>"
		}
		return `"` + *p + `"`
	}
	return "{phone " + r.Phone + " install " + r.Install + " first " + deref(r.FirstName) + " last " + deref(r.LastName) +
		" email " + deref(r.Email) + " dept " + deref(r.Department) + " bday " + deref(r.Birthday) +
		" tags " + strings.Join(r.Tags, "|") + " message " + deref(r.Message) + "}"
}

func TestDecodeCountsCharactersNotBytes(t *testing.T) {
	tests := []struct {
		name  string
		kind  Kind
		field string
		value string
		ok    bool
	}{
		{"256 two-byte characters make a valid first name", KindContact, "first_name", strings.Repeat("é", 256), true},
		{"257 two-byte characters make too long a first name", KindContact, "first_name", strings.Repeat("é", 257), false},
		{"256 four-byte characters make a valid last name", KindContact, "last_name", strings.Repeat("😀", 256), true},
		{"257 four-byte characters make too long a last name", KindContact, "last_name", strings.Repeat("😀", 257), false},
		{"256 three-byte characters make a valid department", KindContact, "department", strings.Repeat("山", 256), true},
		{"1600 two-byte characters make a valid message", KindMessage, "message", strings.Repeat("é", 1600), true},
		{"1601 two-byte characters make too long a message", KindMessage, "message", strings.Repeat("é", 1601), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := body(`"` + tt.field + `": "` + tt.value + `"`)
			if tt.kind == KindMessage && tt.field != "message" {
				b = body(`"`+tt.field+`": "`+tt.value+`"`, `"message": "m"`)
			}
			_, err := decode(tt.kind, b)
			if tt.ok {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				return
			}
			assertFieldErrors(t, err, tt.field)
		})
	}
	t.Run("a tag of 256 two-byte characters is valid", func(t *testing.T) {
		mustDecode(t, KindContact, body(`"tags": ["`+strings.Repeat("é", 256)+`"]`))
	})
}

func TestDecodeBodySize(t *testing.T) {
	// padded returns a valid body of exactly n bytes, padded with spaces.
	padded := func(n int) string {
		b := body()
		return b + strings.Repeat(" ", n-len(b))
	}
	t.Run("a body of exactly 64 KiB is accepted", func(t *testing.T) {
		mustDecode(t, KindContact, padded(domain.MaxBodyBytes))
	})
	t.Run("a body one byte over 64 KiB is too large", func(t *testing.T) {
		_, err := decode(KindContact, padded(domain.MaxBodyBytes+1))
		if got := domainError(t, err).Code; got != domain.CodePayloadTooLarge {
			t.Fatalf("got code %q, want %q", got, domain.CodePayloadTooLarge)
		}
	})
	t.Run("the HTTP layer's MaxBytesError is too large", func(t *testing.T) {
		r := http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader(padded(100))), 50)
		_, err := Decode(r, jsonType, KindContact, testNow)
		if got := domainError(t, err).Code; got != domain.CodePayloadTooLarge {
			t.Fatalf("got code %q, want %q", got, domain.CodePayloadTooLarge)
		}
		var mbe *http.MaxBytesError
		if !errors.As(err, &mbe) {
			t.Errorf("got cause %v, want the *http.MaxBytesError kept for the log", errors.Unwrap(err))
		}
	})
	t.Run("a body that fails to read is refused", func(t *testing.T) {
		_, err := Decode(iotest.ErrReader(errors.New("connection reset")), jsonType, KindContact, testNow)
		assertFieldErrors(t, err, "body")
		if strings.Contains(domainError(t, err).Message, "connection reset") {
			t.Errorf("got message %q, want the cause kept out of it", domainError(t, err).Message)
		}
	})
	t.Run("a nil body is an empty body", func(t *testing.T) {
		_, err := Decode(nil, jsonType, KindContact, testNow)
		assertFieldErrors(t, err, "body")
	})
	t.Run("a body delivered one byte at a time is read whole", func(t *testing.T) {
		r := iotest.OneByteReader(bytes.NewReader([]byte(body(`"first_name": "Test"`))))
		if _, err := Decode(r, jsonType, KindContact, testNow); err != nil {
			t.Fatalf("got error %v, want none", err)
		}
	})
}

func TestDecodeBirthdayFollowsTheInjectedClock(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
		ok   bool
	}{
		{"a birthday is accepted once it is today at UTC+14", time.Date(2024, 6, 15, 10, 0, 0, 0, time.UTC), true},
		{"a birthday is refused while it is tomorrow at UTC+14", time.Date(2024, 6, 15, 9, 59, 59, 0, time.UTC), false},
		{"the clock's own zone does not matter", time.Date(2024, 6, 15, 3, 0, 0, 0, time.FixedZone("PDT", -7*3600)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(body(`"birthday": "2024-06-16"`)), jsonType, KindContact, tt.now)
			if tt.ok {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				return
			}
			assertFieldErrors(t, err, "birthday")
		})
	}
}

func TestDecodeRefusesAnInvalidKind(t *testing.T) {
	for _, kind := range []Kind{0, KindEnrollment + 1, -1} {
		_, err := decode(kind, body())
		if got := domainError(t, err).Code; got != domain.CodeInternal {
			t.Errorf("kind %v: got code %q, want %q", kind, got, domain.CodeInternal)
		}
	}
}
