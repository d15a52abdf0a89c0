package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"switchboard/internal/domain"
)

// WebhookEventTypes are the event types a webhooks entry may list (SPEC
// §8), in the order the default "every type" means.
var WebhookEventTypes = []string{"call.created", "call.updated"}

// The accepted size of a webhook secret's key, in bytes (SPEC §1).
const (
	minWebhookSecretBytes = 24
	maxWebhookSecretBytes = 64
	maxWebhooksPerTenant  = 20
)

// Webhook is one entry of a tenant's webhooks list (SPEC §1, §8): every
// event of a listed type is POSTed to URL, signed with Secret.
type Webhook struct {
	// URL is the receiver, http or https; it may carry credentials, so it
	// prints redacted and is never a metric label.
	URL *url.URL
	// Secret is "whsec_" and the standard base64 of 24 to 64 bytes.
	Secret domain.Secret
	// Events lists the types sent, every type when absent.
	Events []string
}

// String implements fmt.Stringer with the URL redacted and no secret.
func (w Webhook) String() string {
	return fmt.Sprintf("webhook{url: %s, secret: %s, events: %v}", w.URL.Redacted(), w.Secret, w.Events)
}

// LogValue implements slog.LogValuer with the URL redacted and no secret.
func (w Webhook) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", w.URL.Redacted()), slog.Any("events", w.Events))
}

// webhooks reads a tenant's webhooks list. hasMirror says whether the
// tenant's Phonewagon account keeps a mirror: events come from it.
func (r *nodeReader) webhooks(n *yaml.Node, path string, hasMirror bool) []Webhook {
	if n.Kind != yaml.SequenceNode {
		r.errs.add(path, n.Line, "must be a list, got %s", kindName(n))
		return nil
	}
	if !hasMirror {
		r.errs.add(path, n.Line, "needs the tenant's phonewagon account to have a mirror block: events come from the mirror")
	}
	if len(n.Content) > maxWebhooksPerTenant {
		r.errs.add(path, n.Line, "must list at most %d endpoints", maxWebhooksPerTenant)
	}
	var out []Webhook
	seen := map[string]int{}
	for i, item := range n.Content {
		p := path + "[" + strconv.Itoa(i) + "]"
		w, ok := r.webhook(item, p)
		if !ok {
			continue
		}
		if first, dup := seen[w.URL.String()]; dup {
			r.errs.add(join(p, "url"), item.Line, "repeats %s[%d].url", path, first)
			continue
		}
		seen[w.URL.String()] = i
		out = append(out, w)
	}
	return out
}

// webhook reads one entry of a webhooks list.
func (r *nodeReader) webhook(n *yaml.Node, path string) (Webhook, bool) {
	m := r.mapping(n, path, "url", "secret", "events")
	if m == nil {
		return Webhook{}, false
	}
	before := len(r.errs)
	var w Webhook
	if raw, ok := r.required(m, n, path, "url"); ok {
		u, err := parseWebhookURL(raw)
		if err != nil {
			r.errs.add(join(path, "url"), m["url"].Line, "%s", err)
		}
		w.URL = u
	}
	if s, ok := r.required(m, n, path, "secret"); ok {
		if validWebhookSecret(s) {
			w.Secret = domain.Secret(s)
		} else {
			r.errs.add(join(path, "secret"), m["secret"].Line,
				"must be whsec_ followed by the standard base64 of %d to %d random bytes", minWebhookSecretBytes, maxWebhookSecretBytes)
		}
	}
	w.Events = r.webhookEvents(m["events"], join(path, "events"))
	return w, len(r.errs) == before
}

// webhookEvents reads an optional list of event types.
func (r *nodeReader) webhookEvents(n *yaml.Node, path string) []string {
	if n == nil || isNull(n) {
		return slices.Clone(WebhookEventTypes)
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		r.errs.add(path, n.Line, "must be a non-empty list of event types (%s)", strings.Join(WebhookEventTypes, ", "))
		return nil
	}
	var out []string
	for i, item := range n.Content {
		p := path + "[" + strconv.Itoa(i) + "]"
		v, ok := r.str(item, p)
		switch {
		case !ok:
		case !slices.Contains(WebhookEventTypes, v):
			r.errs.add(p, item.Line, "is not an event type (known: %s)", strings.Join(WebhookEventTypes, ", "))
		case slices.Contains(out, v):
			r.errs.add(p, item.Line, "is listed twice")
		default:
			out = append(out, v)
		}
	}
	return out
}

// parseWebhookURL accepts an absolute http or https URL with a host. The
// operator chooses the receiver; a query and user info are allowed (some
// receivers take their own token there), a fragment is not.
func parseWebhookURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, errors.New("is not a valid URL") // url.Parse's message repeats the input
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("must be an absolute http or https URL")
	case u.Opaque != "" || u.Hostname() == "":
		return nil, errors.New("must have a host")
	case u.Fragment != "":
		return nil, errors.New("must not have a fragment")
	}
	return u, nil
}

// validWebhookSecret checks the Standard Webhooks secret format.
func validWebhookSecret(s string) bool {
	rest, ok := strings.CutPrefix(s, "whsec_")
	if !ok {
		return false
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	return err == nil && len(key) >= minWebhookSecretBytes && len(key) <= maxWebhookSecretBytes
}
