package callwidget

import (
	"encoding/json"
	"testing"
	"time"

	"switchboard/internal/domain"
)

func TestParseExpiresIn(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want time.Duration
	}{
		{name: "a number of seconds", raw: `3600`, want: time.Hour},
		{name: "a numeric string", raw: `"3600"`, want: time.Hour},
		{name: "a numeric string with spaces", raw: `" 120 "`, want: 2 * time.Minute},
		{name: "a fraction is dropped", raw: `90.7`, want: 90 * time.Second},
		{name: "absent means the default", raw: ``, want: DefaultTokenLifetime},
		{name: "null means the default", raw: `null`, want: DefaultTokenLifetime},
		{name: "zero means the default", raw: `0`, want: DefaultTokenLifetime},
		{name: "a negative number means the default", raw: `-5`, want: DefaultTokenLifetime},
		{name: "a word means the default", raw: `"XXX"`, want: DefaultTokenLifetime},
		{name: "an empty string means the default", raw: `""`, want: DefaultTokenLifetime},
		{name: "an object means the default", raw: `{"s": 1}`, want: DefaultTokenLifetime},
		{name: "NaN means the default", raw: `"NaN"`, want: DefaultTokenLifetime},
		{name: "a year is capped at a day", raw: `31536000`, want: 24 * time.Hour},
		{name: "an overflowing number means the default", raw: `1e400`, want: DefaultTokenLifetime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseExpiresIn(json.RawMessage(tt.raw)); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTokenValidity(t *testing.T) {
	issued := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	hour := token{Access: "a", Issued: issued, Expiry: issued.Add(time.Hour)}
	tests := []struct {
		name string
		tok  token
		at   time.Time
		want bool
	}{
		{name: "a fresh token is valid", tok: hour, at: issued, want: true},
		{name: "a token is valid until the delta before its expiry", tok: hour, at: issued.Add(59*time.Minute - 1), want: true},
		{name: "a token within the delta of its expiry is not", tok: hour, at: issued.Add(59 * time.Minute), want: false},
		{name: "an expired token is not", tok: hour, at: issued.Add(2 * time.Hour), want: false},
		{name: "a token without an access token is not", tok: token{Issued: issued, Expiry: issued.Add(time.Hour)}, at: issued, want: false},
		{name: "a short-lived token is valid for half its life",
			tok: token{Access: "a", Issued: issued, Expiry: issued.Add(time.Minute)}, at: issued.Add(29 * time.Second), want: true},
		{name: "a short-lived token expires after half its life",
			tok: token{Access: "a", Issued: issued, Expiry: issued.Add(time.Minute)}, at: issued.Add(30 * time.Second), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tok.validAt(tt.at, time.Minute); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStoredTokensRoundTrip(t *testing.T) {
	issued := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	in := token{Access: "acc", Refresh: "ref", Issued: issued, Expiry: issued.Add(time.Hour)}
	out, err := decodeToken(encodeToken(in))
	if err != nil {
		t.Fatal(err)
	}
	if out.Access != in.Access || out.Refresh != in.Refresh || !out.Issued.Equal(in.Issued) || !out.Expiry.Equal(in.Expiry) {
		t.Fatalf("got %s %s %v %v, want %s %s %v %v",
			out.Access.Reveal(), out.Refresh.Reveal(), out.Issued, out.Expiry,
			in.Access.Reveal(), in.Refresh.Reveal(), in.Issued, in.Expiry)
	}

	for _, bad := range []string{"", "null", "{}", `{"access_token": ""}`, "[]"} {
		if _, err := decodeToken(domainSecret(bad)); err == nil {
			t.Errorf("decodeToken(%q): got nil error, want one", bad)
		}
	}
}

func domainSecret(s string) domain.Secret { return domain.Secret(s) }
