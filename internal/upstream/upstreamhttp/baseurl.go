package upstreamhttp

import (
	"errors"
	"net/url"
	"strings"
)

// ParseBaseURL checks a configured upstream base URL and returns it without
// a trailing slash in its path: http or https, a host, no user info, query
// or fragment. credentialsHint names where credentials belong instead
// ("email and password"). Its errors never quote the URL, which might carry
// a password.
func ParseBaseURL(raw, credentialsHint string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("is required")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, errors.New("is not a valid URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("must be an http or https URL")
	case u.Host == "" || u.Opaque != "":
		return nil, errors.New("must name a host")
	case u.User != nil:
		return nil, errors.New("must not carry credentials; use " + credentialsHint)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, errors.New("must not have a query or fragment")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = strings.TrimSuffix(u.RawPath, "/")
	return u, nil
}
