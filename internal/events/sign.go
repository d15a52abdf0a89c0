package events

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"switchboard/internal/domain"
)

// The webhook headers of the Standard Webhooks specification.
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// SecretPrefix starts every webhook secret; base64 of the key follows.
const SecretPrefix = "whsec_"

// The accepted key sizes of a webhook secret, in bytes (SPEC §1).
const (
	MinSecretBytes = 24
	MaxSecretBytes = 64
)

// ErrBadSecret is returned for a secret that is not "whsec_" followed by
// standard base64 of 24 to 64 bytes. It never quotes the secret.
var ErrBadSecret = errors.New("must be whsec_ followed by the standard base64 of 24 to 64 random bytes")

// Signer signs webhook requests as Standard Webhooks do: webhook-signature
// is "v1,<base64 of HMAC-SHA256(key, id.timestamp.body)>", the key being
// the secret's bytes after "whsec_". It is safe for concurrent use and
// never prints its key.
type Signer struct {
	wh *standardwebhooks.Webhook
}

// SecretKey decodes a webhook secret into its key, or ErrBadSecret.
func SecretKey(secret domain.Secret) ([]byte, error) {
	rest, ok := strings.CutPrefix(secret.Reveal(), SecretPrefix)
	if !ok {
		return nil, ErrBadSecret
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return nil, ErrBadSecret
	}
	return key, nil
}

// NewSigner returns the signer of secret, or ErrBadSecret.
func NewSigner(secret domain.Secret) (*Signer, error) {
	key, err := SecretKey(secret)
	if err != nil {
		return nil, err
	}
	wh, err := standardwebhooks.NewWebhookRaw(key)
	if err != nil {
		return nil, ErrBadSecret
	}
	return &Signer{wh: wh}, nil
}

// Sign returns the webhook-signature of body sent as message id at t.
func (s *Signer) Sign(id string, t time.Time, body []byte) string {
	sig, _ := s.wh.Sign(id, t, body) // the library's sign never fails
	return sig
}

// SetHeaders sets the three webhook headers of an attempt at t.
func (s *Signer) SetHeaders(h http.Header, id string, t time.Time, body []byte) {
	h.Set(HeaderWebhookID, id)
	h.Set(HeaderWebhookTimestamp, strconv.FormatInt(t.Unix(), 10))
	h.Set(HeaderWebhookSignature, s.Sign(id, t, body))
}
