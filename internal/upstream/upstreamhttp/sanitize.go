package upstreamhttp

import (
	"net/url"
	"strings"
)

// isSecretParam reports whether a query parameter's value must never go into
// an error or a log line.
func isSecretParam(name string) bool {
	switch strings.ToLower(name) {
	case "access_token", "api_key", "client_secret", "key", "password",
		"refresh_token", "secret", "signature", "token":
		return true
	}
	return false
}

// SanitizeURL returns u as a string fit for a log-only cause: without user
// info and with the values of credential-like query parameters replaced by
// REDACTED. It returns "" for a nil URL and never modifies u.
func SanitizeURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	clean := *u
	clean.User = nil
	if clean.RawQuery != "" {
		q, err := url.ParseQuery(clean.RawQuery)
		if err != nil {
			// A query we cannot parse cannot be checked: drop it.
			clean.RawQuery = "REDACTED"
		} else {
			for k := range q {
				if isSecretParam(k) {
					q[k] = []string{"REDACTED"}
				}
			}
			clean.RawQuery = q.Encode()
		}
	}
	return clean.String()
}
