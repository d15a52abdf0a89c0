package upstreamhttp

import (
	"net/url"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2019, 12, 2, 21, 33, 36, 0, time.UTC)
	tests := []struct {
		name   string
		value  string
		want   time.Duration
		wantOK bool
	}{
		{"delay seconds are read as seconds", "120", 120 * time.Second, true},
		{"surrounding space is ignored", " 7 ", 7 * time.Second, true},
		{"an HTTP date is taken relative to now", "Mon, 02 Dec 2019 21:34:06 GMT", 30 * time.Second, true},
		{"a past HTTP date means retry now", "Mon, 02 Dec 2019 21:00:00 GMT", 0, true},
		{"a huge delay is capped at a day", "99999999999", 24 * time.Hour, true},
		{"a far HTTP date is capped at a day", "Fri, 31 Dec 2100 23:59:59 GMT", 24 * time.Hour, true},
		{"an empty value is absent", "", 0, false},
		{"a negative delay is invalid", "-5", 0, false},
		{"garbage is invalid", "soon", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseRetryAfter(tt.value, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.value, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestParseRetryAfterRoundsAFractionalSecondUp(t *testing.T) {
	now := time.Date(2019, 12, 2, 21, 33, 35, 500_000_000, time.UTC)
	got, ok := ParseRetryAfter("Mon, 02 Dec 2019 21:33:40 GMT", now)
	if !ok || got != 5*time.Second {
		t.Errorf("got %v, %v; want 5s, true", got, ok)
	}
}

func TestSanitizeURL(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"user info is dropped", "https://id:secret@api.example.com/calls?page_size=1", "https://api.example.com/calls?page_size=1"},
		{"credential-like parameters are redacted", "https://api.example.com/x?client_secret=s3&Token=t&page=2", "https://api.example.com/x?Token=REDACTED&client_secret=REDACTED&page=2"},
		{"an unparseable query is dropped whole", "https://api.example.com/x?a=%zz", "https://api.example.com/x?REDACTED"},
		{"a clean URL is unchanged", "https://api.example.com/companies", "https://api.example.com/companies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := SanitizeURL(u); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if u.String() != tt.in {
				t.Errorf("input modified: got %q, want %q", u.String(), tt.in)
			}
		})
	}
	if got := SanitizeURL(nil); got != "" {
		t.Errorf("SanitizeURL(nil) = %q, want empty", got)
	}
}
