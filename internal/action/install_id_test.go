package action

import (
	"errors"
	"strings"
	"testing"
	"time"

	"switchboard/internal/domain"
)

// TestAnInstallGivenByItsIDIsToldToUseItsPhoneNumber: the lookups list
// installs with an id, and the id is what a newcomer tries first.
func TestAnInstallGivenByItsIDIsToldToUseItsPhoneNumber(t *testing.T) {
	tests := []struct {
		name, install, want string
	}{
		{"an id as a string", `"1"`, msgInstallID},
		{"an id as a JSON number", `12`, msgInstallID},
		{"an id with spaces around it", `" 42 "`, msgInstallID},
		{"a national number is a format error, not an id", `"7866275049"`, msgPhoneFormat},
		{"a fractional number is not an id", `1.5`, msgString},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"phone":"+17862455063","install":` + tt.install + `}`
			_, err := Decode(strings.NewReader(body), "application/json", KindContact, time.Now())
			var de *domain.Error
			if !errors.As(err, &de) || len(de.Fields) != 1 {
				t.Fatalf("got %v, want one field error", err)
			}
			if got := de.Fields[0]; got.Field != "install" || got.Message != tt.want {
				t.Errorf("got %s: %q, want install: %q", got.Field, got.Message, tt.want)
			}
		})
	}
}
