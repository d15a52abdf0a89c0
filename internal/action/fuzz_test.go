package action

import (
	"bytes"
	"errors"
	"testing"
	"unicode/utf8"

	"switchboard/internal/domain"
)

// Run longer with:
//
//	go test -run '^$' -fuzz FuzzDecode -fuzztime 30s ./internal/action
//	go test -run '^$' -fuzz FuzzParsePhone -fuzztime 30s ./internal/action
//
// The seeds live in testdata/fuzz; plain `go test` runs them.

// FuzzDecode checks that no body panics Decode, that every error is a
// *domain.Error with one of the codes Decode documents, and that every
// accepted request holds E.164 numbers and obeys its kind's message rule.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(body(`"first_name": "Test"`, `"tags": ["vip"]`, `"message": "hi"`)), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, k uint8) {
		kind := Kind(k%4) + KindContact
		req, err := Decode(bytes.NewReader(data), jsonType, kind, testNow)
		if err != nil {
			checkDecodeError(t, err, len(data))
			return
		}
		for _, n := range []string{req.Phone, req.Install} {
			if !isE164(n) {
				t.Fatalf("got number %q, want E.164", n)
			}
			if again, err := ParsePhone(n); err != nil || again != n {
				t.Fatalf("ParsePhone(%q) = %q, %v; want it unchanged", n, again, err)
			}
		}
		switch rule := kind.messageRule(); {
		case rule == messageRequired && req.Message == nil:
			t.Fatalf("got no message for %v, want one", kind)
		case rule == messageForbidden && req.Message != nil:
			t.Fatalf("got a message for %v, want none", kind)
		}
		if len(req.Tags) > MaxTags {
			t.Fatalf("got %d tags, want at most %d", len(req.Tags), MaxTags)
		}
	})
}

// checkDecodeError asserts the error contract of Decode for a body of n
// bytes sent as application/json.
func checkDecodeError(t *testing.T, err error, n int) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("got error %T %v, want a *domain.Error", err, err)
	}
	switch {
	case n > domain.MaxBodyBytes:
		if de.Code != domain.CodePayloadTooLarge {
			t.Fatalf("got code %q for %d bytes, want %q", de.Code, n, domain.CodePayloadTooLarge)
		}
	case de.Code != domain.CodeValidation:
		t.Fatalf("got code %q, want %q", de.Code, domain.CodeValidation)
	case len(de.Fields) == 0:
		t.Fatalf("got a validation error without fields: %v", de)
	}
	for _, f := range de.Fields {
		if f.Message == "" || utf8.RuneCountInString(f.Field) > maxKeyChars+1 {
			t.Fatalf("got field error %+v, want a short field name and a message", f)
		}
	}
}

// FuzzParsePhone checks that ParsePhone never panics, returns either E.164
// or a validation *domain.Error, and is idempotent on what it returns.
func FuzzParsePhone(f *testing.F) {
	f.Add("+17862455063")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParsePhone(s)
		if err != nil {
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != domain.CodeValidation {
				t.Fatalf("got error %T %v, want a validation *domain.Error", err, err)
			}
			if got != "" {
				t.Fatalf("got %q with an error, want \"\"", got)
			}
			return
		}
		if !isE164(got) {
			t.Fatalf("got %q, want E.164", got)
		}
		if again, err := ParsePhone(got); err != nil || again != got {
			t.Fatalf("ParsePhone(%q) = %q, %v; want it unchanged", got, again, err)
		}
	})
}
