package callwidget

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/domain"
)

// Token lifetimes. The vendor docs show "expires_in": XXX and nothing more.
const (
	// DefaultTokenLifetime is assumed when a token answer has no usable
	// expires_in (absent, null, zero, negative or not a number): short
	// enough that a token we guessed wrong about is soon renewed, long
	// enough not to log in on every request.
	DefaultTokenLifetime = 5 * time.Minute
	// maxTokenLifetime caps an expires_in that would overflow or that no
	// sane server means; renewing once a day costs nothing.
	maxTokenLifetime = 24 * time.Hour
)

// token is one CallWidget access token and what is needed to renew it.
type token struct {
	Access  domain.Secret
	Refresh domain.Secret // empty when the upstream gave none
	Issued  time.Time     // when this process received it
	Expiry  time.Time     // Issued + expires_in
}

// validAt reports whether the access token may still be sent at now. A
// token counts as expired delta early (like x/oauth2's expiryDelta), so it
// does not lapse on its way upstream; for a token that lives less than
// twice delta, half its lifetime is used instead, or it would never count
// as valid and every request would log in again.
func (t token) validAt(now time.Time, delta time.Duration) bool {
	if t.Access == "" {
		return false
	}
	if half := t.Expiry.Sub(t.Issued) / 2; half < delta {
		delta = half
	}
	return now.Before(t.Expiry.Add(-delta))
}

// storedToken is the stored form of a token. Its fields are plain strings:
// domain.Secret would marshal as [REDACTED]. The encoded value travels only
// as a domain.Secret.
type storedToken struct {
	Access  string    `json:"access_token"`
	Refresh string    `json:"refresh_token,omitempty"`
	Issued  time.Time `json:"issued_at"`
	Expiry  time.Time `json:"expires_at"`
}

// encodeToken returns the opaque store value of t.
func encodeToken(t token) domain.Secret {
	b, err := json.Marshal(storedToken{
		Access:  t.Access.Reveal(),
		Refresh: t.Refresh.Reveal(),
		Issued:  t.Issued.UTC(),
		Expiry:  t.Expiry.UTC(),
	})
	if err != nil {
		// Marshaling two strings and two in-range times cannot fail; an
		// empty value decodes as unreadable and is replaced.
		return ""
	}
	return domain.Secret(b)
}

// decodeToken parses a store value written by encodeToken. Its errors never
// quote the value.
func decodeToken(v domain.Secret) (token, error) {
	var st storedToken
	if err := json.Unmarshal([]byte(v.Reveal()), &st); err != nil {
		return token{}, errors.New("callwidget: decode stored token: not the expected JSON")
	}
	if st.Access == "" {
		return token{}, errors.New("callwidget: decode stored token: no access token")
	}
	return token{
		Access:  domain.Secret(st.Access),
		Refresh: domain.Secret(st.Refresh),
		Issued:  st.Issued,
		Expiry:  st.Expiry,
	}, nil
}

// tokenAnswer is the body of a successful /api-login or /refresh-token:
//
//	{"token_type": "Bearer", "expires_in": XXX, "access_token": "…", "refresh_token": "…"}
//
// token_type is not checked: the docs only ever show Bearer, and every
// request sends "Authorization: Bearer" as the docs instruct.
type tokenAnswer struct {
	TokenType    string          `json:"token_type"`
	ExpiresIn    json.RawMessage `json:"expires_in"`
	AccessToken  string          `json:"access_token"`
	RefreshToken string          `json:"refresh_token"`
}

// newToken builds the token of an answer received at now. A refresh answer
// without a refresh_token keeps using refresh (RFC 6749 §6 lets the server
// not rotate it).
func (a tokenAnswer) newToken(now time.Time, refresh domain.Secret) (token, error) {
	if a.AccessToken == "" {
		return token{}, errors.New("the answer has no access_token")
	}
	if a.RefreshToken != "" {
		refresh = domain.Secret(a.RefreshToken)
	}
	return token{
		Access:  domain.Secret(a.AccessToken),
		Refresh: refresh,
		Issued:  now,
		Expiry:  now.Add(parseExpiresIn(a.ExpiresIn)),
	}, nil
}

// parseExpiresIn reads expires_in, which the docs leave as "XXX": a number
// of seconds, or the same number as a string (both are seen from
// OAuth2-style servers). A fraction is dropped. Anything unusable gives
// DefaultTokenLifetime; anything over a day is capped at a day.
func parseExpiresIn(raw json.RawMessage) time.Duration {
	text := string(bytes.TrimSpace(raw))
	if strings.HasPrefix(text, `"`) {
		if err := json.Unmarshal(raw, &text); err != nil {
			return DefaultTokenLifetime
		}
		text = strings.TrimSpace(text)
	}
	secs, err := strconv.ParseFloat(text, 64)
	switch {
	case err != nil || math.IsNaN(secs) || secs < 1:
		return DefaultTokenLifetime
	case secs >= maxTokenLifetime.Seconds():
		return maxTokenLifetime
	}
	return time.Duration(secs) * time.Second
}
