package config

import (
	"fmt"
	"strings"
)

// expand replaces ${NAME} references in one scalar value of the tenants file
// with getenv(NAME). It runs after the YAML is parsed, on one scalar at a
// time, so a variable's value is always plain text: it can never add keys,
// tenants or YAML syntax.
//
// Rules:
//   - only the braced form is a reference; a lone "$" (common in passwords)
//     is literal;
//   - "$${" is an escaped, literal "${";
//   - NAME is [A-Za-z_][A-Za-z0-9_]*;
//   - a variable that is unset or empty is an error: getenv cannot tell the
//     two apart, and an empty password or client secret is never intended.
//
// Errors name the variable, never its value.
func expand(s string, getenv func(string) string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		if i > 0 && s[i-1] == '$' {
			// "$${": drop one "$", keep "${" literally.
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", fmt.Errorf(`unterminated "${" (write "$${" for a literal "${")`)
		}
		name := s[i+2 : i+2+end]
		if !validVarName(name) {
			return "", fmt.Errorf(`invalid environment variable reference: a name inside "${…}" must match [A-Za-z_][A-Za-z0-9_]*`)
		}
		v := getenv(name)
		if v == "" {
			return "", fmt.Errorf("environment variable %s is not set", name)
		}
		b.WriteString(v)
		s = s[i+2+end+1:]
	}
}

// validVarName reports whether name is a portable environment variable name.
func validVarName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
