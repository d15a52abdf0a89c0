package domain

import "log/slog"

// Secret holds a password, client secret, token or key. It prints, marshals
// and logs as [REDACTED]; Reveal is the one way to read it, and only the code
// that sends it upstream or verifies with it should call that.
type Secret string

const redacted = "[REDACTED]"

// Reveal returns the secret in clear.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (s Secret) String() string { return redacted }

// GoString implements fmt.GoStringer, so %#v redacts too.
func (s Secret) GoString() string { return redacted }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }
