package auth

import (
	"slices"
	"testing"
)

func TestParseScopes(t *testing.T) {
	tests := []struct {
		name  string
		claim string
		want  []Scope
	}{
		{"an empty claim grants nothing", "", nil},
		{"blank space grants nothing", "   ", nil},
		{"one scope is granted", "calls:read", []Scope{ScopeCallsRead}},
		{"every scope is granted", "calls:read calls:write messages:send contacts:write campaigns:read automations:run lookups:read",
			KnownScopes()},
		{"runs of spaces and tabs separate scopes", "  lookups:read \t calls:write  ", []Scope{ScopeCallsWrite, ScopeLookupsRead}},
		{"unknown scopes are ignored", "admin calls:read openid", []Scope{ScopeCallsRead}},
		{"duplicates are harmless", "calls:read calls:read", []Scope{ScopeCallsRead}},
		{"a scope name is matched whole", "calls:readx xcalls:read calls:", nil},
		{"scope names are case-sensitive", "CALLS:READ", nil},
		{"a comma does not separate scopes", "calls:read,calls:write", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseScopes(tt.claim).List()
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestScopeSet(t *testing.T) {
	set := NewScopeSet(ScopeLookupsRead, ScopeCallsRead, "admin")
	if got, want := set.String(), "calls:read lookups:read"; got != want {
		t.Errorf("got String %q, want %q", got, want)
	}
	if !set.Has(ScopeLookupsRead) {
		t.Errorf("got Has(lookups:read) false, want true")
	}
	if set.Has(ScopeCallsWrite) {
		t.Errorf("got Has(calls:write) true, want false")
	}
	if set.Has("admin") || NewScopeSet().Has("") {
		t.Errorf("got an unknown scope held, want never")
	}
	all := KnownScopes()
	all[0] = "mutated"
	if KnownScopes()[0] != ScopeCallsRead {
		t.Errorf("got KnownScopes changed by a caller, want a fresh slice each time")
	}
}

func TestParseScopesDoesNotAllocate(t *testing.T) {
	claim := "openid calls:read\tlookups:read calls:read  "
	if got := testing.AllocsPerRun(100, func() { ParseScopes(claim) }); got != 0 {
		t.Errorf("got %v allocations per ParseScopes, want 0", got)
	}
}
