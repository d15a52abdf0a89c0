package action

import (
	"testing"

	"switchboard/internal/domain"
)

func TestParseAutomationID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		ok   bool
	}{
		{"a small integer is valid", "1", true},
		{"an 18-digit integer is valid", "123456789012345678", true},
		{"an empty id is refused", "", false},
		{"zero is refused", "0", false},
		{"a leading zero is refused", "01", false},
		{"a negative id is refused", "-1", false},
		{"a name is refused", "keyword", false},
		{"a 19-digit integer is refused", "1234567890123456789", false},
		{"an id with a space is refused", "1 ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAutomationID(tt.id)
			if tt.ok {
				if err != nil || got != tt.id {
					t.Fatalf("got %q, %v, want %q, nil", got, err, tt.id)
				}
				return
			}
			de := domainError(t, err)
			if de.Code != domain.CodeValidation || len(de.Fields) != 1 || de.Fields[0].Field != "id" {
				t.Fatalf("got %v with fields %+v, want a validation error on id", de, de.Fields)
			}
		})
	}
}
