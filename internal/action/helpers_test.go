package action

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/internal/domain"
)

// testNow is the fixed clock of these tests: noon UTC on 2024-06-15.
var testNow = time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC)

const (
	contactPhone = "+17862455063" // the docs' contact number
	installPhone = "+17866275049" // the docs' install number
	jsonType     = "application/json"
)

// body returns a JSON object with the docs' valid phone and install plus
// the given members, each written as JSON ("\"first_name\": \"Test\"").
func body(members ...string) string {
	all := append([]string{`"phone": "` + contactPhone + `"`, `"install": "` + installPhone + `"`}, members...)
	return "{" + strings.Join(all, ", ") + "}"
}

// decode decodes a JSON body for kind at testNow.
func decode(kind Kind, s string) (*Request, error) {
	return Decode(strings.NewReader(s), jsonType, kind, testNow)
}

// mustDecode decodes a body that must be valid.
func mustDecode(t *testing.T, kind Kind, s string) *Request {
	t.Helper()
	req, err := decode(kind, s)
	if err != nil {
		t.Fatalf("Decode(%s) error: %v (fields %v)", s, err, fieldsOf(err))
	}
	return req
}

// domainError returns err as a *domain.Error, failing the test otherwise.
func domainError(t *testing.T, err error) *domain.Error {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("got error %T %v, want a *domain.Error", err, err)
	}
	return de
}

// fieldsOf returns the field names of a validation error, in order.
func fieldsOf(err error) []string {
	var de *domain.Error
	if !errors.As(err, &de) {
		return nil
	}
	var names []string
	for _, f := range de.Fields {
		names = append(names, f.Field)
	}
	return names
}

// assertFieldErrors checks that err is a validation error naming exactly
// wantFields, in order.
func assertFieldErrors(t *testing.T, err error, wantFields ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want validation errors on %v", wantFields)
	}
	de := domainError(t, err)
	if de.Code != domain.CodeValidation {
		t.Fatalf("got code %q (%v), want %q", de.Code, err, domain.CodeValidation)
	}
	if got := fieldsOf(err); !slices.Equal(got, wantFields) {
		t.Fatalf("got fields %v (%+v), want %v", got, de.Fields, wantFields)
	}
	for _, f := range de.Fields {
		if f.Message == "" {
			t.Errorf("field %q has an empty message", f.Field)
		}
	}
}

// ptr returns a pointer to s.
func ptr(s string) *string { return &s }
