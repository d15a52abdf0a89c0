package events

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"switchboard/internal/domain"
)

// AttemptTimeout bounds one delivery attempt (SPEC §8: a 2xx within 10 s);
// DispatcherConfig.AttemptTimeout's default.
const AttemptTimeout = 10 * time.Second

// What is read of a receiver's answer at most: its status line and
// headers (a larger head fails the attempt), and its body, which says
// nothing the status does not and is read only so that the connection can
// be reused; the rest is never read.
const (
	maxReceiverHeaderBytes = 16 << 10
	maxReceiverBodyBytes   = 4 << 10
)

// Endpoint is one configured webhook endpoint of a tenant.
type Endpoint struct {
	// Tenant and Index (its position in the tenant's list) name it in
	// metrics and logs; its URL never appears there.
	Tenant string
	Index  int
	// Account is the Phonewagon account whose events it receives.
	Account string
	URL     string
	Secret  domain.Secret
	// Types filters the events sent; empty means every type.
	Types []Type
}

// Group is the endpoint's consumer group: the same on every replica and
// across reloads while its tenant and URL stay, a hash so that neither
// appears in Redis key listings.
func (e Endpoint) Group() string {
	sum := sha256.Sum256([]byte(e.Tenant + "\x00" + e.URL))
	return "webhook:" + hex.EncodeToString(sum[:8])
}

// wants reports whether the endpoint receives events of typ.
func (e Endpoint) wants(typ Type) bool {
	return len(e.Types) == 0 || slices.Contains(e.Types, typ)
}

// NewWebhookClient returns the client of webhook deliveries: it follows no
// redirect (a 3xx is a failed attempt) and gives up after AttemptTimeout
// (each attempt is bounded by DispatcherConfig.AttemptTimeout as well).
// With rt nil it reads at most maxReceiverHeaderBytes of a receiver's
// status line and headers.
func NewWebhookClient(rt http.RoundTripper) *http.Client {
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxResponseHeaderBytes = maxReceiverHeaderBytes
		rt = t
	}
	return &http.Client{
		Transport:     rt,
		Timeout:       AttemptTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// post sends e to the endpoint, signed at now, and returns the receiver's
// status, or 0 and the error when no answer came within timeout. The
// status decides: a 2xx whose body is cut short (a reset, the timeout) has
// delivered. Errors never carry the secret; the URL is left out of them
// too, since it may carry credentials.
func post(ctx context.Context, client *http.Client, timeout time.Duration, signer *Signer, url string, e Event, now time.Time) (int, error) {
	body, err := json.Marshal(e)
	if err != nil {
		return 0, fmt.Errorf("encode event %s: %w", e.ID, err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build request: invalid endpoint URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Switchboard-Webhooks/1")
	signer.SetHeaders(req.Header, e.ID, now, body)
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("send event %s: %w", e.ID, scrubURL(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxReceiverBodyBytes))
	return resp.StatusCode, nil
}

// scrubURL drops the URL from a client error (*url.Error), keeping the
// cause.
func scrubURL(err error) error {
	type urlError interface{ Unwrap() error }
	if u, ok := err.(urlError); ok && u.Unwrap() != nil {
		return u.Unwrap()
	}
	return err
}
