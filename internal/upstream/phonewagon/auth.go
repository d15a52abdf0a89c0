package phonewagon

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"switchboard/internal/domain"
)

// basicAuthTransport adds the account's client id and secret as HTTP basic
// auth to each request, the way x/oauth2's Transport adds a token. It only
// does so for requests to the configured origin and refuses any other, so a
// URL built by mistake can never carry the credentials elsewhere.
//
// It is safe for concurrent use if base is.
type basicAuthTransport struct {
	username string
	password domain.Secret
	origin   string // originOf the base URL
	base     http.RoundTripper
}

// errForeignOrigin is returned for a request to another origin than the
// configured one. It names no URL: the cause stays free of anything the
// request carried.
var errForeignOrigin = errors.New("phonewagon: refusing to send credentials to another origin")

// RoundTrip implements http.RoundTripper. Like every RoundTripper it leaves
// req untouched and sends a clone.
func (t *basicAuthTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if originOf(req.URL) != t.origin {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, errForeignOrigin
	}
	r := req.Clone(req.Context())
	r.SetBasicAuth(t.username, t.password.Reveal())
	return t.base.RoundTrip(r)
}

// originOf returns scheme://host:port of u, lower-cased and with the default
// port of the scheme made explicit, so that https://Dev.Phonewagon.com and
// https://dev.phonewagon.com:443 compare equal.
func originOf(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// Format implements fmt.Formatter. fmt prints unexported fields without
// calling their String methods, so without this %v of the transport would
// print the client secret in clear.
func (t *basicAuthTransport) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, "phonewagon.basicAuthTransport{[REDACTED]}")
}
