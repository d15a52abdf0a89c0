package auth

import (
	"context"
	"testing"
)

func TestContextRoundTrip(t *testing.T) {
	p := &Principal{Subject: "billing-app", Tenant: "acme", Scopes: NewScopeSet(ScopeCallsRead)}
	tests := []struct {
		name   string
		ctx    context.Context
		want   *Principal
		wantOK bool
	}{
		{"a stored principal comes back", NewContext(context.Background(), p), p, true},
		{"a bare context has no principal", context.Background(), nil, false},
		{"a stored nil principal counts as none", NewContext(context.Background(), nil), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := FromContext(tt.ctx)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("got (%p, %t), want (%p, %t)", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestHasScopeOnNilPrincipal(t *testing.T) {
	var p *Principal
	if p.HasScope(ScopeCallsRead) {
		t.Errorf("got a nil principal holding calls:read, want no scopes")
	}
}
