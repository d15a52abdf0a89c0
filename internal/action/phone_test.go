package action

import (
	"strings"
	"testing"

	"switchboard/internal/domain"
)

func TestParsePhone(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // "" when the number is refused
	}{
		{"a US number is accepted", "+17862455063", "+17862455063"},
		{"the docs' install number is accepted", "+17866275049", "+17866275049"},
		{"a UK number is accepted", "+442071234567", "+442071234567"},
		{"a UK number keeps its digits but loses a written trunk zero", "+4402071234567", "+442071234567"},
		{"an Italian number keeps its leading zero", "+390612345678", "+390612345678"},
		{"a German mobile number is accepted", "+4915123456789", "+4915123456789"},
		{"surrounding whitespace is trimmed", "\t +17862455063 \n", "+17862455063"},
		{"a national number is refused", "7862455063", ""},
		{"a number with a trunk prefix and no country code is refused", "07700900123", ""},
		{"00 as the international prefix is refused", "0017862455063", ""},
		{"spaces inside are refused", "+1 786 245 5063", ""},
		{"punctuation is refused", "+1 (786) 245-5063", ""},
		{"letters are refused", "+1786CALLNOW", ""},
		{"a plus alone is refused", "+", ""},
		{"a country code alone is refused", "+1", ""},
		{"a zero country code is refused", "+07862455063", ""},
		{"16 digits are refused", "+1786245506312345", ""},
		{"fullwidth digits are refused", "+１７８６２４５５０６３", ""},
		{"a number outside the plan is refused", "+15555555555", ""},
		{"a too short number for its country is refused", "+1786245506", ""},
		{"an unassigned country code is refused", "+9991234567", ""},
		{"an empty string is refused", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePhone(tt.in)
			if tt.want != "" {
				if err != nil || got != tt.want {
					t.Fatalf("got %q, %v, want %q, nil", got, err, tt.want)
				}
				return
			}
			if got != "" {
				t.Errorf("got %q, want \"\"", got)
			}
			de := domainError(t, err)
			if de.Code != domain.CodeValidation || !strings.HasPrefix(de.Message, "the phone number ") {
				t.Fatalf("got %q %q, want a validation error about the phone number", de.Code, de.Message)
			}
		})
	}
}
