package config

import (
	"testing"

	"switchboard/internal/domain"
)

// FuzzParseTenants checks that no input panics and that whatever is
// accepted satisfies the invariants the rest of the program relies on.
func FuzzParseTenants(f *testing.F) {
	for _, seed := range []string{
		specExample,
		tenantDoc,
		"",
		"tenants: []",
		"tenants:\n  - &a {id: x, callwidget: *a}\n",
		"tenants:\n  - id: a\n    phonewagon: {base_url: 'http://[::1]:1/', client_id: c, client_secret: '$${X}', budget_per_minute: 0x10}\n",
		"a: &a [*a, *a]\n",
		"tenants: !!binary AAAA\n",
	} {
		f.Add([]byte(seed))
	}
	getenv := envOf(exampleEnv())
	f.Fuzz(func(t *testing.T, data []byte) {
		tenants, err := ParseTenants(data, getenv)
		if err != nil {
			return
		}
		if len(tenants) == 0 {
			t.Fatal("got no tenants and no error")
		}
		for _, tn := range tenants {
			if !domain.ValidTenantID(tn.ID) {
				t.Fatalf("accepted id %q", tn.ID)
			}
			if tn.CallWidget == nil && tn.Phonewagon == nil {
				t.Fatalf("accepted tenant %q without upstreams", tn.ID)
			}
			if tn.Phonewagon != nil && (tn.Phonewagon.BaseURL == nil || tn.Phonewagon.ClientSecret == "") {
				t.Fatalf("accepted tenant %q with an incomplete phonewagon", tn.ID)
			}
			if tn.CallWidget != nil && (tn.CallWidget.BaseURL == nil || tn.CallWidget.Password == "") {
				t.Fatalf("accepted tenant %q with an incomplete callwidget", tn.ID)
			}
		}
	})
}
