package auth

import (
	"errors"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"switchboard/internal/domain"
)

// FuzzVerify checks that no input panics and that every failure is an
// unauthorized domain error.
func FuzzVerify(f *testing.F) {
	now, _ := fixedClock()
	v := mustVerifier(f, Config{HMACSecret: testSecret, Now: now, CacheSize: -1})
	f.Add(sign(f, jwt.SigningMethodHS256, []byte(testSecret), baseClaims(), ""))
	f.Add(sign(f, jwt.SigningMethodHS256, []byte(testSecret), with(map[string]any{"aud": []any{1, "x"}, "exp": 1e300}), "k"))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("..")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		_, err := v.Verify(token)
		if err == nil {
			return
		}
		var de *domain.Error
		if !errors.As(err, &de) || de.Code != domain.CodeUnauthorized {
			t.Errorf("got error %v, want an unauthorized *domain.Error", err)
		}
	})
}
