package config

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"gopkg.in/yaml.v3"

	"switchboard/internal/domain"
)

// fileField names the tenants file as a whole in problems that concern no
// single field (syntax errors, an empty file).
const fileField = "tenants file"

// ParseTenants parses and validates a tenants YAML document (SPEC §1) and
// applies defaults. ${NAME} references in values are resolved through getenv
// after parsing (see the package documentation); a nil getenv is an empty
// environment.
//
// The error, when not nil, wraps an Errors listing every problem found; no
// message quotes a value from the file or the environment.
func ParseTenants(data []byte, getenv func(string) string) ([]Tenant, error) {
	tenants, errs := parseTenants(data, getenv)
	if err := errs.err(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return tenants, nil
}

// parseTenants is ParseTenants returning the problems unwrapped, so that Load
// can report them together with the environment's.
func parseTenants(data []byte, getenv func(string) string) ([]Tenant, Errors) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	r := &nodeReader{getenv: getenv}
	root, err := parseDocument(data)
	if err != nil {
		r.errs = append(r.errs, &FieldError{Field: fileField, Message: err.Error()})
		return nil, r.errs
	}
	if root.Kind != yaml.MappingNode {
		r.errs.add(fileField, root.Line, "must be a mapping with a \"tenants\" list, got %s", kindName(root))
		return nil, r.errs
	}
	top := r.mapping(root, "", "tenants")
	list := top["tenants"]
	switch {
	case list == nil || isNull(list):
		r.errs.add("tenants", lineOf(list, root), "is required: list at least one tenant")
		return nil, r.errs
	case list.Kind != yaml.SequenceNode:
		r.errs.add("tenants", list.Line, "must be a list, got %s", kindName(list))
		return nil, r.errs
	case len(list.Content) == 0:
		r.errs.add("tenants", list.Line, "must list at least one tenant")
		return nil, r.errs
	}
	tenants := make([]Tenant, 0, len(list.Content))
	for i, n := range list.Content {
		if t, ok := r.tenant(n, "tenants["+strconv.Itoa(i)+"]"); ok {
			tenants = append(tenants, t)
		}
	}
	if len(r.errs) > 0 {
		// Cross-tenant checks on a partial list would report noise.
		return nil, r.errs
	}
	checkAcrossTenants(tenants, list, &r.errs)
	if len(r.errs) > 0 {
		return nil, r.errs
	}
	return tenants, nil
}

// parseDocument parses exactly one YAML document and returns its root node.
// yaml.v3's parser messages are fixed texts plus a line number; they never
// quote the input, so they are safe to pass on.
func parseDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("is empty: it must list at least one tenant under \"tenants\"")
		}
		return nil, fmt.Errorf("is not valid YAML: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("must hold exactly one YAML document")
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errors.New("is empty: it must list at least one tenant under \"tenants\"")
	}
	root := doc.Content[0]
	if isNull(root) {
		return nil, errors.New("is empty: it must list at least one tenant under \"tenants\"")
	}
	return root, nil
}

// tenant reads one entry of the tenants list.
func (r *nodeReader) tenant(n *yaml.Node, path string) (Tenant, bool) {
	m := r.mapping(n, path, "id", "callwidget", "phonewagon", "webhooks", "rate_limit_per_minute")
	if m == nil {
		return Tenant{}, false
	}
	before := len(r.errs)
	var t Tenant
	if id, ok := r.required(m, n, path, "id"); ok {
		if domain.ValidTenantID(id) {
			t.ID = id
		} else {
			r.errs.add(join(path, "id"), m["id"].Line,
				"must be 1 to 63 characters of a-z, 0-9, '_' and '-', starting with a letter or digit")
		}
	}
	if cw := m["callwidget"]; cw != nil {
		t.CallWidget = r.callWidget(cw, join(path, "callwidget"))
	}
	if pw := m["phonewagon"]; pw != nil {
		t.Phonewagon = r.phonewagon(pw, join(path, "phonewagon"))
	}
	if wh := m["webhooks"]; wh != nil {
		t.Webhooks = r.webhooks(wh, join(path, "webhooks"), t.Phonewagon != nil && t.Phonewagon.Mirror != nil)
	}
	if m["callwidget"] == nil && m["phonewagon"] == nil {
		r.errs.add(path, n.Line, "needs at least one upstream: callwidget, phonewagon or both")
	}
	t.RateLimitPerMinute, _ = r.integer(m["rate_limit_per_minute"], join(path, "rate_limit_per_minute"),
		DefaultRateLimitPerMinute, minRateLimitPerMinute, maxRateLimitPerMinute)
	return t, len(r.errs) == before
}

// callWidget reads a tenant's callwidget section. A null section
// ("callwidget:" with everything below commented out) is an error rather than
// "no CallWidget": dropping an upstream should be an explicit edit.
func (r *nodeReader) callWidget(n *yaml.Node, path string) *CallWidget {
	m := r.mapping(n, path, "base_url", "email", "password")
	if m == nil {
		return nil
	}
	cw := &CallWidget{}
	cw.BaseURL = r.baseURL(m, n, path)
	if email, ok := r.required(m, n, path, "email"); ok {
		if validEmail(email) {
			cw.Email = email
		} else {
			r.errs.add(join(path, "email"), m["email"].Line, "must be a plain email address (name@domain)")
		}
	}
	cw.Password = secret(r.required(m, n, path, "password"))
	return cw
}

// phonewagon reads a tenant's phonewagon section; see callWidget for null.
func (r *nodeReader) phonewagon(n *yaml.Node, path string) *Phonewagon {
	m := r.mapping(n, path, "base_url", "client_id", "client_secret", "budget_per_minute", "mirror")
	if m == nil {
		return nil
	}
	pw := &Phonewagon{}
	pw.BaseURL = r.baseURL(m, n, path)
	pw.ClientID, _ = r.required(m, n, path, "client_id")
	pw.ClientSecret = secret(r.required(m, n, path, "client_secret"))
	pw.BudgetPerMinute, _ = r.integer(m["budget_per_minute"], join(path, "budget_per_minute"),
		DefaultBudgetPerMinute, minBudgetPerMinute, maxBudgetPerMinute)
	if mi := m["mirror"]; mi != nil {
		pw.Mirror = r.mirror(mi, join(path, "mirror"))
	}
	return pw
}

// baseURL reads and validates a section's required base_url.
func (r *nodeReader) baseURL(m map[string]*yaml.Node, parent *yaml.Node, path string) *url.URL {
	raw, ok := r.required(m, parent, path, "base_url")
	if !ok {
		return nil
	}
	u, err := parseBaseURL(raw)
	if err != nil {
		r.errs.add(join(path, "base_url"), m["base_url"].Line, "%s", err)
		return nil
	}
	return u
}

// checkAcrossTenants enforces the rules that span tenants: unique ids, and
// agreement between tenants that share a Phonewagon account. Such tenants
// share one budget, one set of credentials upstream and one mirror (SPEC §1,
// §5, §7), so a second client_secret, budget_per_minute or mirror block for
// the same account has no meaning and is almost certainly a copy-paste
// mistake.
func checkAcrossTenants(tenants []Tenant, list *yaml.Node, errs *Errors) {
	firstID := make(map[string]int, len(tenants))
	firstAccount := make(map[string]int)
	for i, t := range tenants {
		line := list.Content[i].Line
		path := "tenants[" + strconv.Itoa(i) + "]"
		if j, dup := firstID[t.ID]; dup {
			errs.add(path+".id", line, "duplicates tenants[%d].id", j)
		} else {
			firstID[t.ID] = i
		}
		if t.Phonewagon == nil {
			continue
		}
		acct := t.Phonewagon.Account()
		j, shared := firstAccount[acct]
		if !shared {
			firstAccount[acct] = i
			continue
		}
		other := tenants[j].Phonewagon
		if subtle.ConstantTimeCompare([]byte(t.Phonewagon.ClientSecret.Reveal()), []byte(other.ClientSecret.Reveal())) != 1 {
			errs.add(path+".phonewagon.client_secret", line,
				"differs from tenants[%d].phonewagon.client_secret for the same Phonewagon account (base_url host and client_id)", j)
		}
		if t.Phonewagon.BudgetPerMinute != other.BudgetPerMinute {
			errs.add(path+".phonewagon.budget_per_minute", line,
				"differs from tenants[%d].phonewagon.budget_per_minute for the same Phonewagon account, which shares one budget", j)
		}
		if !sameMirror(t.Phonewagon.Mirror, other.Mirror) {
			errs.add(path+".phonewagon.mirror", line,
				"differs from tenants[%d].phonewagon.mirror for the same Phonewagon account, which shares one mirror (give every tenant of the account the same mirror block, or none)", j)
		}
	}
}

// secret adapts required's (value, ok) to a domain.Secret field.
func secret(s string, _ bool) domain.Secret { return domain.Secret(s) }
