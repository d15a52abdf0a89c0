package config

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"switchboard/internal/domain"
)

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestParseTenantsReadsTheSpecExample(t *testing.T) {
	got, err := ParseTenants([]byte(specExample), envOf(exampleEnv()))
	if err != nil {
		t.Fatalf("ParseTenants: %v", err)
	}
	want := []Tenant{{
		ID: "acme",
		CallWidget: &CallWidget{
			BaseURL:  mustURL(t, "https://api.callwidget.co/api/v1"),
			Email:    "ops@acme.example",
			Password: domain.Secret("cw-pass-" + canary),
		},
		Phonewagon: &Phonewagon{
			BaseURL:         mustURL(t, "https://dev.phonewagon.com"),
			ClientID:        "acme-client",
			ClientSecret:    domain.Secret("pw-secret-" + canary),
			BudgetPerMinute: 50,
		},
		RateLimitPerMinute: 600,
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestParseTenantsAppliesDefaultsAndNormalizes(t *testing.T) {
	doc := `tenants:
  - id: cw-only
    callwidget:
      base_url: http://127.0.0.1:8081/api/v1/
      email: ops@cw.example
      password: pa$$word$HOME
  - id: pw_only
    phonewagon:
      base_url: https://dev.phonewagon.com/
      client_id: 0042
      client_secret: "s$${NOT_A_VAR}"
`
	got, err := ParseTenants([]byte(doc), nil)
	if err != nil {
		t.Fatalf("ParseTenants: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d tenants, want 2", len(got))
	}
	cw, pw := got[0], got[1]
	checks := []struct {
		name      string
		got, want any
	}{
		{"rate limit defaults to 600", cw.RateLimitPerMinute, DefaultRateLimitPerMinute},
		{"a tenant without phonewagon has a nil Phonewagon", cw.Phonewagon == nil, true},
		{"a tenant without callwidget has a nil CallWidget", pw.CallWidget == nil, true},
		{"budget defaults to 50", pw.Phonewagon.BudgetPerMinute, DefaultBudgetPerMinute},
		{"a trailing slash is trimmed from a base URL with a path", cw.CallWidget.BaseURL.String(), "http://127.0.0.1:8081/api/v1"},
		{"a trailing slash is trimmed from a bare host", pw.Phonewagon.BaseURL.String(), "https://dev.phonewagon.com"},
		{"a lone dollar sign is literal", cw.CallWidget.Password.Reveal(), "pa$$word$HOME"},
		{"a doubled dollar escapes a reference", pw.Phonewagon.ClientSecret.Reveal(), "s${NOT_A_VAR}"},
		{"a numeric-looking client id keeps its leading zeros", pw.Phonewagon.ClientID, "0042"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
}

func TestParseTenantsNeverLetsAVariableAddYAMLStructure(t *testing.T) {
	doc := `tenants:
  - id: acme
    callwidget:
      base_url: https://api.callwidget.co
      email: ops@acme.example
      password: ${PW}
`
	injected := "x\n      unknown_key: 1\n  - id: evil"
	got, err := ParseTenants([]byte(doc), envOf(map[string]string{"PW": injected}))
	if err != nil {
		t.Fatalf("ParseTenants: %v", err)
	}
	if len(got) != 1 || got[0].CallWidget.Password.Reveal() != injected {
		t.Errorf("got %d tenants with password %q, want 1 tenant with the variable's text verbatim", len(got), got[0].CallWidget.Password.Reveal())
	}
}

func TestParseTenantsAcceptsIntegersFromVariables(t *testing.T) {
	doc := `tenants:
  - id: acme
    phonewagon:
      base_url: https://dev.phonewagon.com
      client_id: acme
      client_secret: s
      budget_per_minute: ${BUDGET}
`
	got, err := ParseTenants([]byte(doc), envOf(map[string]string{"BUDGET": "40"}))
	if err != nil {
		t.Fatalf("ParseTenants: %v", err)
	}
	if b := got[0].Phonewagon.BudgetPerMinute; b != 40 {
		t.Errorf("got budget %d, want 40", b)
	}
}

func TestParseTenantsAllowsTenantsToShareAnAccountThatAgree(t *testing.T) {
	doc := `tenants:
  - id: a
    phonewagon: {base_url: "https://dev.phonewagon.com", client_id: shared, client_secret: "${S}"}
  - id: b
    phonewagon: {base_url: "https://DEV.phonewagon.com:443/v2", client_id: shared, client_secret: "${S}", budget_per_minute: 50}
`
	got, err := ParseTenants([]byte(doc), envOf(map[string]string{"S": "s-" + canary}))
	if err != nil {
		t.Fatalf("ParseTenants: %v", err)
	}
	if a, b := got[0].Phonewagon.Account(), got[1].Phonewagon.Account(); a != b {
		t.Errorf("got accounts %q and %q, want the same", a, b)
	}
}

func TestParseTenantsReportsEveryProblemAtOnce(t *testing.T) {
	doc := `tenants:
  - id: Bad
    callwidget: {base_url: "ftp://x", email: ops@x.example, password: "p-` + canary + `"}
    rate_limit_per_minute: 0
`
	_, err := ParseTenants([]byte(doc), nil)
	for _, field := range []string{"tenants[0].id", "tenants[0].callwidget.base_url", "tenants[0].rate_limit_per_minute"} {
		checkProblem(t, err, field, "")
	}
}

// tenantDoc is a valid one-tenant file with both upstreams; cases edit it.
const tenantDoc = `tenants:
  - id: acme
    callwidget:
      base_url: https://api.callwidget.co/api/v1
      email: ops@acme.example
      password: ${ACME_CALLWIDGET_PASSWORD}
    phonewagon:
      base_url: https://dev.phonewagon.com
      client_id: acme-client
      client_secret: ${ACME_PHONEWAGON_SECRET}
      budget_per_minute: 50
    rate_limit_per_minute: 600
`

// edit returns tenantDoc with one line replaced; it fails loudly if the line
// is not there, so that a case cannot silently test the valid document.
func edit(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(tenantDoc, old) {
		t.Fatalf("tenantDoc has no %q", old)
	}
	return strings.Replace(tenantDoc, old, new, 1)
}

func TestParseTenantsRejectsInvalidFiles(t *testing.T) {
	const (
		cwPassword = "      password: ${ACME_CALLWIDGET_PASSWORD}\n"
		pwSecret   = "      client_secret: ${ACME_PHONEWAGON_SECRET}\n"
		budget     = "      budget_per_minute: 50\n"
		rateLimit  = "    rate_limit_per_minute: 600\n"
		cwURL      = "      base_url: https://api.callwidget.co/api/v1\n"
		pwURL      = "      base_url: https://dev.phonewagon.com\n"
		email      = "      email: ops@acme.example\n"
		id         = "  - id: acme\n"
		clientID   = "      client_id: acme-client\n"
	)
	secondTenant := func(lines string) string {
		return tenantDoc + "  - id: beta\n" + lines
	}
	cases := []struct {
		name  string
		doc   func(t *testing.T) string
		env   map[string]string
		field string
		want  string
	}{
		{"an empty file is rejected", func(*testing.T) string { return "" }, nil, "tenants file", "is empty"},
		{"a file of comments is rejected", func(*testing.T) string { return "# nothing\n" }, nil, "tenants file", "is empty"},
		{"a file without tenants is rejected", func(*testing.T) string { return "{}\n" }, nil, "tenants", "is required"},
		{"a null tenants list is rejected", func(*testing.T) string { return "tenants:\n" }, nil, "tenants", "is required"},
		{"an empty tenants list is rejected", func(*testing.T) string { return "tenants: []\n" }, nil, "tenants", "at least one"},
		{"a tenants mapping is rejected", func(*testing.T) string { return "tenants: {acme: {}}\n" }, nil, "tenants", "must be a list"},
		{"a top-level list is rejected", func(*testing.T) string { return "- id: acme\n" }, nil, "tenants file", "must be a mapping"},
		{"invalid YAML is rejected without quoting it", func(*testing.T) string { return "tenants:\n  - id: acme\n   password: \"" + canary + "\n" }, nil, "tenants file", "not valid YAML"},
		{"a second YAML document is rejected", func(*testing.T) string { return tenantDoc + "---\n" + tenantDoc }, nil, "tenants file", "exactly one"},
		{"an unknown top-level key is rejected", func(*testing.T) string { return "version: 2\n" + tenantDoc }, nil, "version", "unknown key"},
		{"an unknown tenant key is rejected", func(t *testing.T) string { return edit(t, rateLimit, rateLimit+"    name: Acme\n") }, nil, "tenants[0].name", "unknown key"},
		{"an unknown callwidget key is rejected", func(t *testing.T) string { return edit(t, email, email+"      username: "+canary+"\n") }, nil, "tenants[0].callwidget.username", "unknown key"},
		{"an unknown phonewagon key is rejected", func(t *testing.T) string { return edit(t, budget, budget+"      secret: "+canary+"\n") }, nil, "tenants[0].phonewagon.secret", "unknown key"},
		{"a duplicate tenant key is rejected", func(t *testing.T) string { return edit(t, rateLimit, rateLimit+"    id: acme2\n") }, nil, "tenants[0].id", "duplicate key"},
		{"a duplicate password key is rejected", func(t *testing.T) string { return edit(t, cwPassword, cwPassword+"      password: "+canary+"\n") }, nil, "tenants[0].callwidget.password", "duplicate key"},
		{"a non-scalar key is rejected", func(t *testing.T) string { return edit(t, rateLimit, rateLimit+"    ? [a, b]\n    : x\n") }, nil, "tenants[0]", "plain names"},
		{"a tenant that is a string is rejected", func(*testing.T) string { return "tenants:\n  - acme\n" }, nil, "tenants[0]", "must be a mapping"},
		{"a callwidget list is rejected", func(*testing.T) string { return "tenants:\n  - id: acme\n    callwidget: [https://c.example]\n" }, nil, "tenants[0].callwidget", "must be a mapping, got a list"},
		{"a null callwidget is rejected", func(*testing.T) string {
			return "tenants:\n  - id: acme\n    callwidget:\n    phonewagon: {base_url: 'https://p.example', client_id: c, client_secret: s}\n"
		}, nil, "tenants[0].callwidget", "must be a mapping"},
		{"a tenant without upstreams is rejected", func(*testing.T) string { return "tenants:\n  - id: acme\n" }, nil, "tenants[0]", "at least one upstream"},
		{"a missing id is rejected", func(t *testing.T) string { return edit(t, id, "  - rate_limit_per_minute: 1\n") }, nil, "tenants[0].id", "is required"},
		{"an upper-case id is rejected", func(t *testing.T) string { return edit(t, id, "  - id: Acme\n") }, nil, "tenants[0].id", "a-z"},
		{"an id starting with a dash is rejected", func(t *testing.T) string { return edit(t, id, "  - id: -acme\n") }, nil, "tenants[0].id", "a-z"},
		{"an id of 64 characters is rejected", func(t *testing.T) string { return edit(t, id, "  - id: "+strings.Repeat("a", 64)+"\n") }, nil, "tenants[0].id", "1 to 63"},
		{"an id that is a list is rejected", func(t *testing.T) string { return edit(t, id, "  - id: [acme]\n") }, nil, "tenants[0].id", "must be a string"},
		{"an invalid id from a variable is rejected without its value", func(t *testing.T) string { return edit(t, id, "  - id: ${TENANT}\n") },
			map[string]string{"TENANT": "BAD-" + canary}, "tenants[0].id", "a-z"},
		{"a duplicate tenant id names both indexes", func(*testing.T) string {
			return secondTenant("    callwidget: {base_url: 'https://c.example', email: a@b.example, password: x}\n  - id: acme\n    callwidget: {base_url: 'https://c.example', email: a@b.example, password: x}\n")
		}, nil, "tenants[2].id", "duplicates tenants[0].id"},
		{"a missing base_url is rejected", func(t *testing.T) string { return edit(t, cwURL, "") }, nil, "tenants[0].callwidget.base_url", "is required"},
		{"a relative base_url is rejected", func(t *testing.T) string { return edit(t, cwURL, "      base_url: /api/v1\n") }, nil, "tenants[0].callwidget.base_url", "http or https"},
		{"an ftp base_url is rejected", func(t *testing.T) string { return edit(t, pwURL, "      base_url: ftp://dev.phonewagon.com\n") }, nil, "tenants[0].phonewagon.base_url", "http or https"},
		{"a base_url without a host is rejected", func(t *testing.T) string { return edit(t, pwURL, "      base_url: 'https://:443/x'\n") }, nil, "tenants[0].phonewagon.base_url", "host"},
		{"an opaque base_url is rejected", func(t *testing.T) string { return edit(t, pwURL, "      base_url: 'https:dev.phonewagon.com'\n") }, nil, "tenants[0].phonewagon.base_url", "host"},
		{"a base_url with user info is rejected without the password", func(t *testing.T) string {
			return edit(t, pwURL, "      base_url: https://acme:"+canary+"@dev.phonewagon.com\n")
		}, nil, "tenants[0].phonewagon.base_url", "user info"},
		{"a base_url with a query is rejected", func(t *testing.T) string {
			return edit(t, cwURL, "      base_url: https://api.callwidget.co/api/v1?key="+canary+"\n")
		}, nil, "tenants[0].callwidget.base_url", "query"},
		{"a base_url with a fragment is rejected", func(t *testing.T) string {
			return edit(t, cwURL, "      base_url: 'https://api.callwidget.co/#"+canary+"'\n")
		}, nil, "tenants[0].callwidget.base_url", "fragment"},
		{"an unparsable base_url is rejected without quoting it", func(t *testing.T) string {
			return edit(t, cwURL, "      base_url: 'https://api.callwidget.co/%zz"+canary+"'\n")
		}, nil, "tenants[0].callwidget.base_url", "not a valid URL"},
		{"a missing email is rejected", func(t *testing.T) string { return edit(t, email, "") }, nil, "tenants[0].callwidget.email", "is required"},
		{"an email without a domain is rejected", func(t *testing.T) string { return edit(t, email, "      email: ops\n") }, nil, "tenants[0].callwidget.email", "email address"},
		{"an email with a display name is rejected", func(t *testing.T) string { return edit(t, email, "      email: 'Ops <ops@acme.example>'\n") }, nil, "tenants[0].callwidget.email", "email address"},
		{"a missing password is rejected", func(t *testing.T) string { return edit(t, cwPassword, "") }, nil, "tenants[0].callwidget.password", "is required"},
		{"an empty password is rejected", func(t *testing.T) string { return edit(t, cwPassword, "      password: ''\n") }, nil, "tenants[0].callwidget.password", "must not be empty"},
		{"a binary password is rejected", func(t *testing.T) string { return edit(t, cwPassword, "      password: !!binary c2VjcmV0\n") }, nil, "tenants[0].callwidget.password", "must be a string"},
		{"an aliased password is rejected", func(t *testing.T) string {
			return edit(t, email+cwPassword, "      email: &e ops@acme.example\n      password: *e\n")
		}, nil, "tenants[0].callwidget.password", "got an alias"},
		{"an unset variable names the field and the variable", func(*testing.T) string { return tenantDoc },
			map[string]string{"ACME_PHONEWAGON_SECRET": "s-" + canary}, "tenants[0].callwidget.password", "environment variable ACME_CALLWIDGET_PASSWORD is not set"},
		{"an unterminated reference is rejected without quoting the value", func(t *testing.T) string { return edit(t, cwPassword, "      password: "+canary+"${ACME\n") }, nil, "tenants[0].callwidget.password", "unterminated"},
		{"a reference with an invalid name is rejected", func(t *testing.T) string { return edit(t, cwPassword, "      password: ${1-"+canary+"}\n") }, nil, "tenants[0].callwidget.password", "invalid environment variable reference"},
		{"a missing client_id is rejected", func(t *testing.T) string { return edit(t, clientID, "") }, nil, "tenants[0].phonewagon.client_id", "is required"},
		{"a missing client_secret is rejected", func(t *testing.T) string { return edit(t, pwSecret, "") }, nil, "tenants[0].phonewagon.client_secret", "is required"},
		{"a client_secret that is a mapping is rejected", func(t *testing.T) string { return edit(t, pwSecret, "      client_secret: {value: "+canary+"}\n") }, nil, "tenants[0].phonewagon.client_secret", "must be a string, got a mapping"},
		{"a quoted budget is rejected", func(t *testing.T) string { return edit(t, budget, "      budget_per_minute: '50'\n") }, nil, "tenants[0].phonewagon.budget_per_minute", "must be an integer, got a string"},
		{"a fractional budget is rejected", func(t *testing.T) string { return edit(t, budget, "      budget_per_minute: 1.5\n") }, nil, "tenants[0].phonewagon.budget_per_minute", "must be an integer"},
		{"a budget list is rejected", func(t *testing.T) string { return edit(t, budget, "      budget_per_minute: [50]\n") }, nil, "tenants[0].phonewagon.budget_per_minute", "got a list"},
		{"a zero budget is rejected", func(t *testing.T) string { return edit(t, budget, "      budget_per_minute: 0\n") }, nil, "tenants[0].phonewagon.budget_per_minute", "between 1 and 10000"},
		{"a budget over 10000 is rejected", func(t *testing.T) string { return edit(t, budget, "      budget_per_minute: 10001\n") }, nil, "tenants[0].phonewagon.budget_per_minute", "between 1 and 10000"},
		{"a huge budget is rejected", func(t *testing.T) string {
			return edit(t, budget, "      budget_per_minute: 99999999999999999999999\n")
		}, nil, "tenants[0].phonewagon.budget_per_minute", "must be"},
		{"a non-integer budget variable is rejected without its value", func(t *testing.T) string { return edit(t, budget, "      budget_per_minute: ${BUDGET}\n") },
			map[string]string{"BUDGET": canary + "x"}, "tenants[0].phonewagon.budget_per_minute", "must be an integer"},
		{"an unset budget variable is named", func(t *testing.T) string { return edit(t, budget, "      budget_per_minute: ${ACME_BUDGET}\n") },
			nil, "tenants[0].phonewagon.budget_per_minute", "environment variable ACME_BUDGET is not set"},
		{"a zero rate limit is rejected", func(t *testing.T) string { return edit(t, rateLimit, "    rate_limit_per_minute: 0\n") }, nil, "tenants[0].rate_limit_per_minute", "between 1 and 1000000"},
		{"a rate limit over a million is rejected", func(t *testing.T) string { return edit(t, rateLimit, "    rate_limit_per_minute: 1000001\n") }, nil, "tenants[0].rate_limit_per_minute", "between 1 and 1000000"},
		{"a string rate limit is rejected", func(t *testing.T) string { return edit(t, rateLimit, "    rate_limit_per_minute: lots\n") }, nil, "tenants[0].rate_limit_per_minute", "must be an integer"},
		{"a shared account with another client_secret is rejected without either secret", func(*testing.T) string {
			return secondTenant("    phonewagon: {base_url: 'https://dev.phonewagon.com/', client_id: acme-client, client_secret: other-" + canary + "}\n")
		}, nil, "tenants[1].phonewagon.client_secret", "differs from tenants[0].phonewagon.client_secret"},
		{"a shared account with another budget is rejected", func(*testing.T) string {
			return secondTenant("    phonewagon: {base_url: 'https://dev.phonewagon.com', client_id: acme-client, client_secret: '${ACME_PHONEWAGON_SECRET}', budget_per_minute: 40}\n")
		}, nil, "tenants[1].phonewagon.budget_per_minute", "differs from tenants[0].phonewagon.budget_per_minute"},
		{"a shared account that relies on the default budget must still agree", func(t *testing.T) string {
			doc := edit(t, budget, "      budget_per_minute: 60\n")
			return doc + "  - id: beta\n    phonewagon: {base_url: 'https://dev.phonewagon.com', client_id: acme-client, client_secret: '${ACME_PHONEWAGON_SECRET}'}\n"
		}, nil, "tenants[1].phonewagon.budget_per_minute", "differs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := exampleEnv()
			if c.env != nil {
				env = c.env
			}
			got, err := ParseTenants([]byte(c.doc(t)), envOf(env))
			if got != nil {
				t.Errorf("got %d tenants, want none with an error", len(got))
			}
			checkProblem(t, err, c.field, c.want)
		})
	}
}
