package config

import (
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	env := envOf(map[string]string{"A": "alpha", "B_2": "beta", "SECRET": "s-" + canary})
	cases := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{"text without references is unchanged", "plain", "plain", ""},
		{"a whole-value reference is replaced", "${A}", "alpha", ""},
		{"references inside text are replaced", "x-${A}-${B_2}-y", "x-alpha-beta-y", ""},
		{"a lone dollar is literal", "pa$word$A", "pa$word$A", ""},
		{"a doubled dollar before a brace is a literal reference", "$${A}", "${A}", ""},
		{"an escape and a reference can sit side by side", "$${A}${A}", "${A}alpha", ""},
		{"a variable's value is not expanded again", "${SECRET}", "s-" + canary, ""},
		{"an unset variable is named", "${MISSING}", "", "environment variable MISSING is not set"},
		{"an unterminated reference is an error", "abc${A", "", "unterminated"},
		{"an empty name is an error", "${}", "", "invalid environment variable reference"},
		{"a name starting with a digit is an error", "${1A}", "", "invalid environment variable reference"},
		{"a name with a dash is an error", "${A-B}", "", "invalid environment variable reference"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := expand(c.in, env)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("got (%q, %v), want an error containing %q", got, err, c.wantErr)
				}
				if strings.Contains(err.Error(), canary) {
					t.Errorf("error %q contains the canary", err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("got (%q, %v), want %q", got, err, c.want)
			}
		})
	}
}
