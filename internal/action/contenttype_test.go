package action

import (
	"strings"
	"testing"

	"switchboard/internal/domain"
)

func TestDecodeContentType(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		ok          bool
	}{
		{"application/json is accepted", "application/json", true},
		{"a utf-8 charset parameter is accepted", "application/json; charset=utf-8", true},
		{"the media type and charset are case-insensitive", "Application/JSON; Charset=UTF-8", true},
		{"the utf8 spelling of the charset is accepted", "application/json;charset=utf8", true},
		{"a structured +json type is accepted", "application/merge-patch+json", true},
		{"a vendor +json type is accepted", "application/vnd.api+json; charset=utf-8", true},
		{"a missing Content-Type is refused", "", false},
		{"a blank Content-Type is refused", "   ", false},
		{"text/plain is refused", "text/plain", false},
		{"a form is refused", "application/x-www-form-urlencoded", false},
		{"multipart is refused", "multipart/form-data; boundary=x", false},
		{"text/json is refused", "text/json", false},
		{"application/jsonp is refused", "application/jsonp", false},
		{"a bare +json subtype is refused", "application/+json", false},
		{"a type merely starting with json is refused", "application/json+xml", false},
		{"a charset other than utf-8 is refused", "application/json; charset=latin1", false},
		{"a malformed parameter is refused", "application/json; charset", false},
		{"a type without a subtype is refused", "json", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(body()), tt.contentType, KindContact, testNow)
			if tt.ok {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				return
			}
			if got := domainError(t, err).Code; got != domain.CodeUnsupportedMediaType {
				t.Fatalf("got code %q, want %q", got, domain.CodeUnsupportedMediaType)
			}
		})
	}
}

func TestDecodeChecksContentTypeBeforeReadingTheBody(t *testing.T) {
	_, err := Decode(strings.NewReader("not json"), "text/plain", KindContact, testNow)
	if got := domainError(t, err).Code; got != domain.CodeUnsupportedMediaType {
		t.Fatalf("got code %q, want %q", got, domain.CodeUnsupportedMediaType)
	}
}
