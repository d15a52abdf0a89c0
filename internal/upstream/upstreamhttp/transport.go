// Package upstreamhttp holds the small pieces of HTTP plumbing that both
// upstream clients (CallWidget and Phonewagon) need: a bounded transport,
// the mapping of a non-2xx answer or a transport failure to a *domain.Error,
// Retry-After parsing and URL sanitizing for log-only causes.
//
// It knows nothing about either vendor's API; everything here is generic.
package upstreamhttp

import (
	"net"
	"net/http"
	"time"
)

// NewTransport returns an *http.Transport with every timeout and pool limit
// set, so that a slow or misbehaving upstream cannot pin goroutines or
// connections forever. Callers still bound each whole request with a context
// deadline; the limits here are the backstop.
//
// Build one per process and hand it to every upstream client so that they
// share one connection pool. An *http.Transport is safe for concurrent use.
func NewTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    5 * time.Second,
		ResponseHeaderTimeout:  30 * time.Second,
		ExpectContinueTimeout:  1 * time.Second,
		IdleConnTimeout:        90 * time.Second,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    16,
		MaxConnsPerHost:        64,
		MaxResponseHeaderBytes: 64 << 10,
	}
}
