package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"switchboard/internal/domain"
)

// Defaults and bounds for the tenants file (SPEC §1, §5).
const (
	// DefaultRateLimitPerMinute is a tenant's inbound limit when
	// rate_limit_per_minute is absent.
	DefaultRateLimitPerMinute = domain.DefaultRateLimitPerMinute
	// DefaultBudgetPerMinute is Phonewagon's documented limit per account.
	DefaultBudgetPerMinute = 50

	minRateLimitPerMinute = 1
	maxRateLimitPerMinute = 1_000_000
	minBudgetPerMinute    = 1
	maxBudgetPerMinute    = 10_000
)

// Tenant is one entry of the tenants file: an id that callers name in their
// token's "tenant" claim, and the upstream accounts requests for it use.
type Tenant struct {
	ID string
	// CallWidget is nil when the tenant has no CallWidget account; endpoints
	// that need it answer 403 upstream-not-configured.
	CallWidget *CallWidget
	// Phonewagon is nil when the tenant has no Phonewagon account.
	Phonewagon *Phonewagon
	// Webhooks are the tenant's webhook endpoints (SPEC §8); only a tenant
	// whose Phonewagon account has a mirror may have any.
	Webhooks []Webhook
	// RateLimitPerMinute is the inbound limit for this tenant's callers.
	RateLimitPerMinute int
}

// LogValue implements slog.LogValuer with the tenant's non-secret settings.
func (t Tenant) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("id", t.ID),
		slog.Int("rate_limit_per_minute", t.RateLimitPerMinute),
	}
	if t.CallWidget != nil {
		attrs = append(attrs, slog.Any("callwidget", t.CallWidget))
	}
	if t.Phonewagon != nil {
		attrs = append(attrs, slog.Any("phonewagon", t.Phonewagon))
	}
	for i, w := range t.Webhooks {
		attrs = append(attrs, slog.Any("webhooks."+strconv.Itoa(i), w))
	}
	return slog.GroupValue(attrs...)
}

// CallWidget is a tenant's CallWidget login (SPEC §1). BaseURL has no
// trailing slash; the API paths (/api-login, /share/…) go below it.
type CallWidget struct {
	BaseURL  *url.URL
	Email    string
	Password domain.Secret
}

// String implements fmt.Stringer without the password, so that a Tenant
// printed with %v shows the upstream rather than a pointer.
func (c CallWidget) String() string {
	return fmt.Sprintf("callwidget{base_url: %s, email: %s, password: %s}", urlString(c.BaseURL), c.Email, c.Password)
}

// LogValue implements slog.LogValuer without the password.
func (c CallWidget) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("base_url", urlString(c.BaseURL)),
		slog.String("email", c.Email),
	)
}

// Phonewagon is a tenant's Phonewagon account (SPEC §1). BaseURL has no
// trailing slash; /companies, /campaigns and /calls go below it.
type Phonewagon struct {
	BaseURL      *url.URL
	ClientID     string
	ClientSecret domain.Secret
	// BudgetPerMinute is the most upstream requests this account may make in
	// any sliding 60-second window, across every tenant that shares it.
	BudgetPerMinute int
	// Mirror is nil when the account keeps no mirror of its call history
	// (SPEC §7); tenants sharing the account have equal Mirror settings.
	Mirror *Mirror
}

// Account returns the key that identifies the Phonewagon account behind p:
// the base URL's scheme and host plus the client id, e.g.
// "https://dev.phonewagon.com/acme-client". The upstream rate-limits per
// account, so tenants with the same Account share one budget (SPEC §1, §5);
// use it to key the budget, never a tenant id.
//
// The host is lower-cased and a default port dropped so that spellings of the
// same host agree; the base URL's path is ignored (one account, whatever API
// prefix). The client id is path-escaped so the key stays unambiguous. The
// key carries no secret and is safe for logs and metric labels.
func (p *Phonewagon) Account() string {
	if p == nil || p.BaseURL == nil {
		return ""
	}
	host := strings.ToLower(p.BaseURL.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6 literal
	}
	if port := p.BaseURL.Port(); port != "" && port != defaultPort(p.BaseURL.Scheme) {
		host += ":" + port
	}
	return p.BaseURL.Scheme + "://" + host + "/" + url.PathEscape(p.ClientID)
}

// String implements fmt.Stringer without the client secret.
func (p Phonewagon) String() string {
	mirror := "none"
	if p.Mirror != nil {
		mirror = p.Mirror.String()
	}
	return fmt.Sprintf("phonewagon{base_url: %s, client_id: %s, client_secret: %s, budget_per_minute: %d, mirror: %s}",
		urlString(p.BaseURL), p.ClientID, p.ClientSecret, p.BudgetPerMinute, mirror)
}

// LogValue implements slog.LogValuer without the client secret.
func (p Phonewagon) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("base_url", urlString(p.BaseURL)),
		slog.String("client_id", p.ClientID),
		slog.Int("budget_per_minute", p.BudgetPerMinute),
	}
	if p.Mirror != nil {
		attrs = append(attrs, slog.Any("mirror", *p.Mirror))
	}
	return slog.GroupValue(attrs...)
}

// defaultPort is the port a scheme implies, for Account's normalization.
func defaultPort(scheme string) string {
	switch scheme {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// urlString prints u, or "" for nil. Base URLs never carry user info
// (parseBaseURL refuses it), so the result is safe to log.
func urlString(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.Redacted()
}
