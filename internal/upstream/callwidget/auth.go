package callwidget

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/upstream/upstreamhttp"
)

// authenticator obtains tokens from the upstream: POST /api-login with the
// account's email and password, POST /refresh-token with a refresh token.
// It only talks to the upstream; caching, sharing and single-flighting are
// tokenSource's. It is safe for concurrent use.
type authenticator struct {
	http       *http.Client // without the auth transport
	loginURL   string
	refreshURL string
	email      string
	password   domain.Secret
	timeout    time.Duration
	now        func() time.Time
	onLogin    func()
	onRefresh  func()
}

// loginRequest is the body of POST /api-login. Plain strings: a
// domain.Secret would marshal as [REDACTED].
type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// refreshRequest is the body of POST /refresh-token. The docs' example has a
// trailing comma after the token; that is a typo in the docs, and valid JSON
// is sent.
type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

// login exchanges the account's email and password for a token.
//
// CallWidget API: POST /api-login
func (a *authenticator) login(ctx context.Context) (token, error) {
	if a.onLogin != nil {
		a.onLogin()
	}
	body := loginRequest{Email: a.email, Password: a.password.Reveal()}
	tok, err := a.post(ctx, a.loginURL, body, "", a.email, a.password.Reveal())
	if err != nil {
		return token{}, fmt.Errorf("callwidget: login: %w", err)
	}
	return tok, nil
}

// refresh exchanges a refresh token for a new token.
//
// CallWidget API: POST /refresh-token
func (a *authenticator) refresh(ctx context.Context, refresh domain.Secret) (token, error) {
	if a.onRefresh != nil {
		a.onRefresh()
	}
	body := refreshRequest{RefreshToken: refresh.Reveal()}
	tok, err := a.post(ctx, a.refreshURL, body, refresh, refresh.Reveal())
	if err != nil {
		return token{}, fmt.Errorf("callwidget: refresh token: %w", err)
	}
	return tok, nil
}

// post sends one token request and decodes the answer. keepRefresh is the
// refresh token to keep if the answer carries none. scrub lists the
// credentials the request carried, removed from any error body the
// upstream echoes into the log-only cause.
func (a *authenticator) post(ctx context.Context, target string, payload any, keepRefresh domain.Secret, scrub ...string) (token, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return token{}, domain.Wrap(errors.New("encode request"), domain.CodeInternal, "the upstream request could not be built")
	}
	reqCtx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, target, bytes.NewReader(b))
	if err != nil {
		return token{}, domain.Wrap(err, domain.CodeInternal, "the upstream request could not be built")
	}
	setJSONHeaders(req.Header, true)

	resp, err := a.http.Do(req)
	if err != nil {
		return token{}, upstreamhttp.TransportError(ctx, displayName, err)
	}
	defer closeBody(resp)

	if err := checkResponse(resp, a.now()); err != nil {
		return token{}, authError(err, scrub)
	}
	raw, err := upstreamhttp.ReadCapped(resp.Body, smallBodyLimit)
	if err != nil {
		return token{}, bodyError(ctx, reqCtx, err)
	}
	var answer tokenAnswer
	if err := json.Unmarshal(raw, &answer); err != nil {
		// The error of encoding/json names a type or an offset, never the
		// body, which would hold the tokens.
		return token{}, domain.Wrap(err, domain.CodeUpstreamError, displayName+" returned a malformed token answer")
	}
	tok, err := answer.newToken(a.now(), keepRefresh)
	if err != nil {
		return token{}, domain.Wrap(err, domain.CodeUpstreamError, displayName+" returned a malformed token answer")
	}
	return tok, nil
}

// authError adjusts the error of a non-2xx token answer. The cause's body is
// scrubbed of the credentials sent. Any 4xx other than 408 and 429 means the
// credentials or refresh token were refused (the vendor answers a bad login
// with 401, but a validation 400 or 422 means the same to us): it becomes
// upstream-auth-failed, whose caller-safe message names no credential.
func authError(err error, scrub []string) error {
	var se *upstreamhttp.StatusError
	if !errors.As(err, &se) {
		return err
	}
	for _, s := range scrub {
		if s != "" {
			se.Body = strings.ReplaceAll(se.Body, s, "[REDACTED]")
		}
	}
	if isRejection(se.StatusCode) {
		return domain.Wrap(se, domain.CodeUpstreamAuthFailed, displayName+" rejected the configured credentials")
	}
	return err
}

// isRejection reports whether a token endpoint's status refuses the
// credentials rather than failing for another reason.
func isRejection(status int) bool {
	return status >= 400 && status < 500 &&
		status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
}

// rejected reports whether err is a token endpoint refusing the credentials
// or refresh token, as opposed to a transport or server failure after which
// the same request could still succeed.
func rejected(err error) bool {
	var se *upstreamhttp.StatusError
	return errors.As(err, &se) && isRejection(se.StatusCode)
}
