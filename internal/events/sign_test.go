package events

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/internal/domain"
)

// referenceSignature is an independent implementation of the Standard
// Webhooks signature, written from the specification's text.
func referenceSignature(secret, id string, ts int64, body []byte) string {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.%s", id, ts, body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestWebhookSignatures(t *testing.T) {
	t.Run("the specification's published vector is reproduced", func(t *testing.T) {
		// From the Standard Webhooks repository's reference tests.
		const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
		s, err := NewSigner(domain.Secret(secret)) // its key is 24 bytes
		if err != nil {
			t.Fatal(err)
		}
		got := s.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
		if got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
		if ref := referenceSignature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`)); ref != want {
			t.Fatalf("reference implementation: got %s, want %s", ref, want)
		}
	})

	t.Run("headers verify with an independent implementation", func(t *testing.T) {
		secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
		s, err := NewSigner(domain.Secret(secret))
		if err != nil {
			t.Fatal(err)
		}
		body := []byte(`{"id":"1764676800000-0","type":"call.created"}`)
		h := http.Header{}
		at := time.Unix(1764676800, 0)
		s.SetHeaders(h, "1764676800000-0", at, body)
		if h.Get("webhook-id") != "1764676800000-0" || h.Get("webhook-timestamp") != "1764676800" {
			t.Fatalf("got id %q timestamp %q", h.Get("webhook-id"), h.Get("webhook-timestamp"))
		}
		if got, want := h.Get("webhook-signature"), referenceSignature(secret, "1764676800000-0", 1764676800, body); got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	})

	for _, c := range []struct{ name, secret string }{
		{"a secret without the prefix is refused", base64.StdEncoding.EncodeToString(make([]byte, 32))},
		{"a secret that is not base64 is refused", "whsec_not base64!"},
		{"a key under 24 bytes is refused", "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 23))},
		{"a key over 64 bytes is refused", "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 65))},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewSigner(domain.Secret(c.secret))
			if !errors.Is(err, ErrBadSecret) {
				t.Fatalf("got %v, want ErrBadSecret", err)
			}
			if strings.Contains(err.Error(), strings.TrimPrefix(c.secret, "whsec_")) {
				t.Fatalf("error %q quotes the secret", err)
			}
		})
	}
}
