package config

import (
	"strings"
	"testing"
	"time"
)

// mirrorDoc is tenantDoc with a mirror block whose lines the cases edit.
func mirrorDoc(t *testing.T, block string) string {
	t.Helper()
	return edit(t, "      budget_per_minute: 50\n", "      budget_per_minute: 50\n"+block)
}

func TestParseTenantsReadsTheMirrorBlock(t *testing.T) {
	cases := []struct {
		name  string
		block string
		want  *Mirror
	}{
		{"no block means no mirror", "", nil},
		{"an empty block takes every default", "      mirror: {}\n",
			&Mirror{Retention: 2160 * time.Hour, SyncInterval: 15 * time.Second, Revisit: 2 * time.Hour, RevisitInterval: 5 * time.Minute}},
		{"the spec example is read as written", "      mirror:\n        retention: 2160h\n        sync_interval: 15s\n        revisit: 2h\n        revisit_interval: 5m\n",
			&Mirror{Retention: 2160 * time.Hour, SyncInterval: 15 * time.Second, Revisit: 2 * time.Hour, RevisitInterval: 5 * time.Minute}},
		{"every field may be set", "      mirror: {retention: 720h, sync_interval: 5s, revisit: 30m, revisit_interval: 1m}\n",
			&Mirror{Retention: 720 * time.Hour, SyncInterval: 5 * time.Second, Revisit: 30 * time.Minute, RevisitInterval: time.Minute}},
		{"a duration may come from a variable", "      mirror: {sync_interval: '${SYNC}'}\n",
			&Mirror{Retention: 2160 * time.Hour, SyncInterval: 30 * time.Second, Revisit: 2 * time.Hour, RevisitInterval: 5 * time.Minute}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := exampleEnv()
			env["SYNC"] = "30s"
			got, err := ParseTenants([]byte(mirrorDoc(t, c.block)), envOf(env))
			if err != nil {
				t.Fatalf("ParseTenants: %v", err)
			}
			m := got[0].Phonewagon.Mirror
			switch {
			case c.want == nil && m != nil:
				t.Errorf("got mirror %v, want none", *m)
			case c.want != nil && m == nil:
				t.Errorf("got no mirror, want %v", *c.want)
			case c.want != nil && *m != *c.want:
				t.Errorf("got mirror %v, want %v", *m, *c.want)
			}
		})
	}
}

func TestParseTenantsRejectsInvalidMirrorBlocks(t *testing.T) {
	const field = "tenants[0].phonewagon.mirror"
	second := func(mirror string) string {
		return "  - id: beta\n    phonewagon: {base_url: 'https://dev.phonewagon.com', client_id: acme-client, client_secret: '${ACME_PHONEWAGON_SECRET}'" + mirror + "}\n"
	}
	cases := []struct {
		name  string
		doc   func(t *testing.T) string
		field string
		want  string
	}{
		{"a null block is rejected", func(t *testing.T) string { return mirrorDoc(t, "      mirror:\n") }, field, "must be a mapping, got null"},
		{"a list is rejected", func(t *testing.T) string { return mirrorDoc(t, "      mirror: [15s]\n") }, field, "must be a mapping, got a list"},
		{"an unknown key is rejected", func(t *testing.T) string { return mirrorDoc(t, "      mirror: {interval: 15s}\n") }, field + ".interval", "unknown key"},
		{"a sync interval under 5s is rejected", func(t *testing.T) string { return mirrorDoc(t, "      mirror: {sync_interval: 4s}\n") }, field + ".sync_interval", "between 5s and 1h0m0s"},
		{"a sync interval of 4.999s is rejected", func(t *testing.T) string { return mirrorDoc(t, "      mirror: {sync_interval: 4999ms}\n") }, field + ".sync_interval", "between 5s"},
		{"a bare number is rejected as ambiguous", func(t *testing.T) string { return mirrorDoc(t, "      mirror: {sync_interval: 15}\n") }, field + ".sync_interval", "must be a duration such as 15s, 5m or 2160h, got an integer"},
		{"a word is rejected without quoting it", func(t *testing.T) string { return mirrorDoc(t, "      mirror: {retention: "+canary+"}\n") }, field + ".retention", "must be a duration"},
		{"a negative retention is rejected", func(t *testing.T) string { return mirrorDoc(t, "      mirror: {retention: -1h}\n") }, field + ".retention", "between 1h0m0s"},
		{"a zero revisit is rejected", func(t *testing.T) string { return mirrorDoc(t, "      mirror: {revisit: 0s}\n") }, field + ".revisit", "between 1m0s"},
		{"a revisit beyond the retention is rejected", func(t *testing.T) string { return mirrorDoc(t, "      mirror: {retention: 2h, revisit: 3h}\n") }, field + ".revisit", "must not exceed retention"},
		{"a revisit interval over a day is rejected", func(t *testing.T) string { return mirrorDoc(t, "      mirror: {revisit_interval: 25h}\n") }, field + ".revisit_interval", "between 5s and 24h0m0s"},
		{"an unset variable is named", func(t *testing.T) string { return mirrorDoc(t, "      mirror: {revisit: '${NO_SUCH}'}\n") }, field + ".revisit", "environment variable NO_SUCH is not set"},
		{"a shared account with and without a mirror is rejected", func(t *testing.T) string {
			return mirrorDoc(t, "      mirror: {}\n") + second("")
		}, "tenants[1].phonewagon.mirror", "differs from tenants[0].phonewagon.mirror"},
		{"a shared account with another sync interval is rejected", func(t *testing.T) string {
			return mirrorDoc(t, "      mirror: {}\n") + second(", mirror: {sync_interval: 30s}")
		}, "tenants[1].phonewagon.mirror", "differs from tenants[0].phonewagon.mirror"},
		{"a shared account whose mirror only the second tenant has is rejected", func(t *testing.T) string {
			return tenantDoc + second(", mirror: {}")
		}, "tenants[1].phonewagon.mirror", "differs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseTenants([]byte(c.doc(t)), envOf(exampleEnv()))
			if got != nil {
				t.Errorf("got %d tenants, want none with an error", len(got))
			}
			checkProblem(t, err, c.field, c.want)
		})
	}
}

func TestParseTenantsAllowsASharedAccountWithEqualMirrors(t *testing.T) {
	doc := mirrorDoc(t, "      mirror: {sync_interval: 15s}\n") +
		"  - id: beta\n    phonewagon: {base_url: 'https://dev.phonewagon.com', client_id: acme-client, client_secret: '${ACME_PHONEWAGON_SECRET}', mirror: {revisit: 2h}}\n"
	got, err := ParseTenants([]byte(doc), envOf(exampleEnv()))
	if err != nil {
		t.Fatalf("ParseTenants: %v", err)
	}
	if a, b := got[0].Phonewagon.Mirror, got[1].Phonewagon.Mirror; a == nil || b == nil || *a != *b {
		t.Errorf("got mirrors %v and %v, want equal ones (spelled differently, same defaults)", a, b)
	}
}

func TestMirrorPrintsItsSettings(t *testing.T) {
	got, err := ParseTenants([]byte(mirrorDoc(t, "      mirror: {}\n")), envOf(exampleEnv()))
	if err != nil {
		t.Fatalf("ParseTenants: %v", err)
	}
	out := got[0].Phonewagon.String()
	if !strings.Contains(out, "sync_interval: 15s") || strings.Contains(out, canary) {
		t.Errorf("got %s, want the mirror's settings and no secret", out)
	}
}
