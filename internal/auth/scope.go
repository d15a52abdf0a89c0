package auth

import "strings"

// Scope is one permission a caller token can grant (SPEC §2). Each endpoint
// needs exactly one.
type Scope string

// The scopes of the product contract.
const (
	ScopeCallsRead      Scope = "calls:read"
	ScopeCallsWrite     Scope = "calls:write"
	ScopeMessagesSend   Scope = "messages:send"
	ScopeContactsWrite  Scope = "contacts:write"
	ScopeCampaignsRead  Scope = "campaigns:read"
	ScopeAutomationsRun Scope = "automations:run"
	ScopeLookupsRead    Scope = "lookups:read"
)

// knownScopes lists every scope in a fixed order; a scope's index is its bit
// in a ScopeSet. It is an array, not a slice, so nothing can append to it.
var knownScopes = [...]Scope{
	ScopeCallsRead,
	ScopeCallsWrite,
	ScopeMessagesSend,
	ScopeContactsWrite,
	ScopeCampaignsRead,
	ScopeAutomationsRun,
	ScopeLookupsRead,
}

// KnownScopes returns every scope the gateway understands, in a fixed order.
// The slice is fresh: callers may keep or modify it.
func KnownScopes() []Scope {
	out := make([]Scope, len(knownScopes))
	copy(out, knownScopes[:])
	return out
}

// ScopeSet is a set of known scopes. It is a value type, so a Principal
// handed to one request can never change the scopes seen by another.
type ScopeSet uint16

// bit returns the ScopeSet holding only s, or 0 for an unknown scope.
func (s Scope) bit() ScopeSet {
	for i, k := range knownScopes {
		if k == s {
			return 1 << i
		}
	}
	return 0
}

// NewScopeSet returns the set of the given scopes; unknown ones are ignored.
func NewScopeSet(scopes ...Scope) ScopeSet {
	var set ScopeSet
	for _, s := range scopes {
		set |= s.bit()
	}
	return set
}

// ParseScopes parses a "scope" claim: scope names separated by spaces
// (RFC 6749 §3.3). Any ASCII whitespace separates, unknown names are ignored
// (an issuer may grant scopes meant for other services) and duplicates are
// harmless. It does not allocate.
func ParseScopes(claim string) ScopeSet {
	var set ScopeSet
	for claim != "" {
		claim = strings.TrimLeft(claim, " \t\r\n\f\v")
		end := strings.IndexAny(claim, " \t\r\n\f\v")
		if end < 0 {
			end = len(claim)
		}
		set |= Scope(claim[:end]).bit()
		claim = claim[end:]
	}
	return set
}

// Has reports whether the set holds s. An unknown scope is never held.
func (set ScopeSet) Has(s Scope) bool {
	b := s.bit()
	return b != 0 && set&b == b
}

// List returns the scopes in the set, in the order of KnownScopes.
func (set ScopeSet) List() []Scope {
	var out []Scope
	for i, k := range knownScopes {
		if set&(1<<i) != 0 {
			out = append(out, k)
		}
	}
	return out
}

// String returns the scopes space-separated, the form of the "scope" claim.
func (set ScopeSet) String() string {
	var b strings.Builder
	for _, s := range set.List() {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(string(s))
	}
	return b.String()
}
