package config

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// webhookSecret is a valid secret whose key contains the canary.
var webhookSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("key-"+canary+"-0123456789abcdef"))

// webhooksDoc is the spec example with a mirror and the given webhooks
// block appended to the tenant.
func webhooksDoc(t *testing.T, mirror bool, block string) string {
	t.Helper()
	doc := specExample
	if mirror {
		doc = strings.Replace(doc, "      budget_per_minute: 50                        # optional, default 50\n",
			"      budget_per_minute: 50\n      mirror: {}\n", 1)
	}
	return doc + block
}

func webhooksEnv() func(string) string {
	env := exampleEnv()
	env["HOOK_SECRET"] = webhookSecret
	return envOf(env)
}

func TestParseTenantsReadsWebhooks(t *testing.T) {
	block := "    webhooks:\n" +
		"      - url: https://crm.internal.example/hooks/switchboard\n        secret: ${HOOK_SECRET}\n        events: [call.created]\n" +
		"      - url: http://user:pass@10.0.0.7:9000/in?token=x\n        secret: ${HOOK_SECRET}\n"
	got, err := ParseTenants([]byte(webhooksDoc(t, true, block)), webhooksEnv())
	if err != nil {
		t.Fatalf("ParseTenants: %v", err)
	}
	hooks := got[0].Webhooks
	if len(hooks) != 2 {
		t.Fatalf("got %d webhooks, want 2", len(hooks))
	}
	if hooks[0].URL.String() != "https://crm.internal.example/hooks/switchboard" || !slices.Equal(hooks[0].Events, []string{"call.created"}) {
		t.Errorf("first: got %s %v, want the crm URL with call.created", hooks[0].URL, hooks[0].Events)
	}
	if !slices.Equal(hooks[1].Events, WebhookEventTypes) || hooks[1].Secret.Reveal() != webhookSecret {
		t.Errorf("second: got events %v, want every type by default, and the secret", hooks[1].Events)
	}
	printed := fmt.Sprintf("%v %+v", got[0], hooks)
	if strings.Contains(printed, "pass@") || strings.Contains(printed, strings.TrimPrefix(webhookSecret, "whsec_")) {
		t.Errorf("printed config %q shows the URL password or the secret", printed)
	}
}

func TestParseTenantsRejectsInvalidWebhooks(t *testing.T) {
	const field = "tenants[0].webhooks"
	short := "whsec_" + base64.StdEncoding.EncodeToString([]byte(canary+"-short"))
	cases := []struct {
		name   string
		mirror bool
		block  string
		field  string
		want   string
	}{
		{"webhooks without a mirror", false, "    webhooks:\n      - {url: 'https://a.example/h', secret: '${HOOK_SECRET}'}\n", field, "mirror"},
		{"a secret without the prefix", true, "    webhooks:\n      - {url: 'https://a.example/h', secret: 'sec-" + canary + "'}\n", field + "[0].secret", "whsec_"},
		{"a key shorter than 24 bytes", true, "    webhooks:\n      - {url: 'https://a.example/h', secret: '" + short + "'}\n", field + "[0].secret", "24 to 64"},
		{"a missing secret", true, "    webhooks:\n      - {url: 'https://a.example/h'}\n", field + "[0].secret", "is required"},
		{"a URL that is not http or https", true, "    webhooks:\n      - {url: 'ftp://a.example/h', secret: '${HOOK_SECRET}'}\n", field + "[0].url", "http or https"},
		{"a URL without a host", true, "    webhooks:\n      - {url: 'https:///h', secret: '${HOOK_SECRET}'}\n", field + "[0].url", "host"},
		{"an unknown event type", true, "    webhooks:\n      - {url: 'https://a.example/h', secret: '${HOOK_SECRET}', events: [call.deleted]}\n", field + "[0].events[0]", "not an event type"},
		{"an empty events list", true, "    webhooks:\n      - {url: 'https://a.example/h', secret: '${HOOK_SECRET}', events: []}\n", field + "[0].events", "non-empty"},
		{"an unknown key", true, "    webhooks:\n      - {url: 'https://a.example/h', secret: '${HOOK_SECRET}', retries: 3}\n", field + "[0].retries", "unknown key"},
		{"one URL twice", true, "    webhooks:\n      - {url: 'https://a.example/h', secret: '${HOOK_SECRET}'}\n      - {url: 'https://a.example/h', secret: '${HOOK_SECRET}'}\n", field + "[1].url", "repeats"},
		{"not a list", true, "    webhooks: {url: 'https://a.example/h'}\n", field, "must be a list"},
	}
	for _, c := range cases {
		t.Run(c.name+" is refused, naming the field", func(t *testing.T) {
			_, err := ParseTenants([]byte(webhooksDoc(t, c.mirror, c.block)), webhooksEnv())
			checkProblem(t, err, c.field, c.want)
		})
	}
}
