package config

import (
	"errors"
	"strings"
	"testing"
)

// canary is part of every secret and environment value in these tests; it
// must never appear in an error message or printed configuration.
const canary = "7f1d9c2e"

// specExample is the tenants file example of SPEC §1, verbatim.
const specExample = `tenants:
  - id: acme
    callwidget:
      base_url: https://api.callwidget.co/api/v1   # paths below it: /api-login, /refresh-token, /share/...
      email: ops@acme.example
      password: ${ACME_CALLWIDGET_PASSWORD}
    phonewagon:
      base_url: https://dev.phonewagon.com         # paths below it: /companies, /campaigns, /calls
      client_id: acme-client
      client_secret: ${ACME_PHONEWAGON_SECRET}
      budget_per_minute: 50                        # optional, default 50
    rate_limit_per_minute: 600                     # inbound limit for this tenant's callers, optional
`

// envOf turns a map into a getenv function.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// exampleEnv holds the variables specExample references, canary-valued.
func exampleEnv() map[string]string {
	return map[string]string{
		"ACME_CALLWIDGET_PASSWORD": "cw-pass-" + canary,
		"ACME_PHONEWAGON_SECRET":   "pw-secret-" + canary,
	}
}

// checkProblem asserts that err reports field with a message containing
// want, and that the canary appears nowhere in the error.
func checkProblem(t *testing.T, err error, field, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one naming %s", field)
	}
	if strings.Contains(err.Error(), canary) {
		t.Errorf("error %q contains the canary secret", err)
	}
	var list Errors
	if !errors.As(err, &list) {
		t.Fatalf("got error %T %q, want one wrapping config.Errors", err, err)
	}
	for _, p := range list {
		if p.Field == field && strings.Contains(p.Message, want) {
			return
		}
	}
	t.Errorf("got error %q, want a problem for field %q containing %q", err, field, want)
}
