package config

import (
	"errors"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// parseBaseURL validates an upstream base URL and returns it with any
// trailing slash trimmed, so that clients can append "/companies" blindly.
//
// http is allowed next to https because the sandbox and test upstreams listen
// on loopback without TLS. User info is refused: credentials belong in their
// own secret fields, not in a URL that ends up in logs. A query or fragment is
// refused because clients build request URLs by appending paths.
//
// Errors describe the problem without quoting the URL.
func parseBaseURL(raw string) (*url.URL, error) {
	if strings.ContainsAny(raw, "?#") {
		return nil, errors.New("must not have a query or fragment")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's own message repeats the input; keep it out.
		return nil, errors.New("is not a valid URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("must be an absolute http or https URL")
	case u.Opaque != "" || u.Hostname() == "":
		return nil, errors.New("must have a host")
	case u.User != nil:
		return nil, errors.New("must not contain user info; use the credential fields")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u, nil
}

// validEmail reports whether s is a plain address (local@domain) as the
// CallWidget login expects it: no display name, no angle brackets.
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1
}

// validHostPort reports whether s is a listen address of the form host:port
// (host may be empty) with a numeric port.
func validHostPort(s string) bool {
	_, port, err := net.SplitHostPort(s)
	if err != nil || port == "" {
		return false
	}
	_, err = strconv.ParseUint(port, 10, 16)
	return err == nil
}
