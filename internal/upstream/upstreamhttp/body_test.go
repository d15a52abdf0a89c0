package upstreamhttp

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitizeBody(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		notWant []string
	}{
		{name: "a plain message passes unchanged", in: `{"message":"install not found"}`, want: `{"message":"install not found"}`},
		{name: "a password echoed in JSON is redacted", in: `{"email":"a@b.example","password":"hunter22!"}`,
			want: `"password":"[REDACTED]"`, notWant: []string{"hunter22"}},
		{name: "a token in a form body is redacted", in: `refresh_token=abc.def.ghi&x=1`, notWant: []string{"abc.def.ghi"}},
		{name: "an echoed bearer header is redacted", in: `bad header Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.x`,
			notWant: []string{"eyJhbGci"}},
		{name: "a phone number keeps only its last two digits", in: `{"phone":"+17862455063"}`, want: `***63`,
			notWant: []string{"786245", "+1786"}},
		{name: "a formatted phone number is masked too", in: `call (786) 245-5063 failed`, notWant: []string{"245-5063"}},
		{name: "a short number such as a status stays", in: `error 422 at step 12`, want: `error 422 at step 12`},
		{name: "newlines and control characters become one space", in: "line one\r\n\tline\x00two", want: "line one line two"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SanitizeBody([]byte(tt.in))
			if tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want it to contain %q", got, tt.want)
			}
			for _, bad := range tt.notWant {
				if strings.Contains(got, bad) {
					t.Errorf("got %q, which still contains %q", got, bad)
				}
			}
		})
	}
	t.Run("a long body is capped on a rune boundary", func(t *testing.T) {
		got := SanitizeBody([]byte(strings.Repeat("é", 4000)))
		if len(got) > LoggedBodyLimit+len("…") || !utf8.ValidString(got) || !strings.HasSuffix(got, "…") {
			t.Fatalf("got %d bytes (valid UTF-8: %v), want at most %d and a trailing …", len(got), utf8.ValidString(got), LoggedBodyLimit+3)
		}
	})
	t.Run("invalid UTF-8 is replaced", func(t *testing.T) {
		if got := SanitizeBody([]byte{'a', 0xff, 'b'}); !utf8.ValidString(got) {
			t.Fatalf("got %q, not valid UTF-8", got)
		}
	})
}
