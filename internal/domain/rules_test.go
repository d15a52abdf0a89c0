package domain

import (
	"strings"
	"testing"
)

func TestValidTenantID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		want bool
	}{
		{"a single letter is valid", "a", true},
		{"a single digit is valid", "7", true},
		{"letters, digits, dashes and underscores are valid", "acme_eu-2", true},
		{"63 characters are valid", strings.Repeat("a", 63), true},
		{"64 characters are too long", strings.Repeat("a", 64), false},
		{"an empty id is invalid", "", false},
		{"a leading dash is invalid", "-acme", false},
		{"a leading underscore is invalid", "_acme", false},
		{"capitals are invalid", "Acme", false},
		{"a dot is invalid", "acme.eu", false},
		{"a slash is invalid", "acme/eu", false},
		{"a space is invalid", "acme eu", false},
		{"non-ASCII letters are invalid", "acmé", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ValidTenantID(tt.id); got != tt.want {
				t.Errorf("got ValidTenantID(%q) = %t, want %t", tt.id, got, tt.want)
			}
		})
	}
}
