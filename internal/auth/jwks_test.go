package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

func TestJWKSRotationIsPickedUpAfterTheMinimumInterval(t *testing.T) {
	k := loadTestKeys(t)
	idp := newFakeIdP(t, jwkOf(t, &k.rsa1.PublicKey, "k1", jwkset.AlgRS256))
	now, set := fixedClock()
	v := jwksVerifier(t, idp, now, nil)
	old := sign(t, jwt.SigningMethodRS256, k.rsa1, longLived(), "k1")
	rotated := sign(t, jwt.SigningMethodRS256, k.rsa2, longLived(), "k2")

	wantAccepted(t, v, old)
	if got := idp.count(); got != 1 {
		t.Fatalf("got %d fetches after start-up, want 1", got)
	}
	// The provider publishes k2 ten seconds after the last fetch: the next
	// fetch an unknown kid may trigger is a minute after the last one.
	idp.publish(jwkOf(t, &k.rsa1.PublicKey, "k1", jwkset.AlgRS256), jwkOf(t, &k.rsa2.PublicKey, "k2", jwkset.AlgRS256))
	set(testNow.Add(10 * time.Second))
	_, err := v.Verify(rotated)
	wantUnauthorized(t, err, "token signing key is unknown", rotated)
	set(testNow.Add(59 * time.Second))
	_, err = v.Verify(rotated)
	wantUnauthorized(t, err, "token signing key is unknown", rotated)
	if got := idp.count(); got != 1 {
		t.Fatalf("got %d fetches within the first minute, want 1", got)
	}

	set(testNow.Add(time.Minute))
	wantAccepted(t, v, rotated)
	wantAccepted(t, v, old)
	if got := idp.count(); got != 2 {
		t.Errorf("got %d fetches once the minute passed, want 2", got)
	}
}

func TestJWKSUnknownKidsRefreshAtMostOnceAMinute(t *testing.T) {
	k := loadTestKeys(t)
	idp := newFakeIdP(t, jwkOf(t, &k.rsa1.PublicKey, "k1", ""))
	now, set := fixedClock()
	v := jwksVerifier(t, idp, now, nil)

	set(testNow.Add(2 * time.Minute))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kid := "made-up-" + string(rune('a'+i))
			token := sign(t, jwt.SigningMethodRS256, k.rsaOther, longLived(), kid)
			_, err := v.Verify(token)
			wantUnauthorized(t, err, "token signing key is unknown", token)
		}()
	}
	wg.Wait()
	if got := idp.count(); got != 2 {
		t.Errorf("got %d fetches for 20 unknown kids at once, want 2 (start-up and one refresh)", got)
	}
	set(testNow.Add(2*time.Minute + 59*time.Second))
	token := sign(t, jwt.SigningMethodRS256, k.rsaOther, longLived(), "yet-another")
	_, err := v.Verify(token)
	wantUnauthorized(t, err, "token signing key is unknown", token)
	if got := idp.count(); got != 2 {
		t.Errorf("got %d fetches 59 s after the last, want still 2", got)
	}
}

func TestJWKSRefreshesEveryHourAndDropsWithdrawnKeys(t *testing.T) {
	k := loadTestKeys(t)
	idp := newFakeIdP(t, jwkOf(t, &k.rsa1.PublicKey, "k1", jwkset.AlgRS256))
	now, set := fixedClock()
	v := jwksVerifier(t, idp, now, nil)
	token := sign(t, jwt.SigningMethodRS256, k.rsa1, longLived(), "k1")
	wantAccepted(t, v, token)

	idp.publish(jwkOf(t, &k.rsa2.PublicKey, "k2", jwkset.AlgRS256))
	set(testNow.Add(59 * time.Minute))
	wantAccepted(t, v, token)
	if got := idp.count(); got != 1 {
		t.Fatalf("got %d fetches before the hour, want 1", got)
	}
	set(testNow.Add(time.Hour))
	_, err := v.Verify(token)
	wantUnauthorized(t, err, "token signing key is unknown", token)
	if got := idp.count(); got != 2 {
		t.Errorf("got %d fetches at the hour, want 2", got)
	}
}

func TestJWKSEndpointDownKeepsTheCachedKeys(t *testing.T) {
	k := loadTestKeys(t)
	idp := newFakeIdP(t, jwkOf(t, &k.ec.PublicKey, "ec1", jwkset.AlgES256))
	now, set := fixedClock()
	v := jwksVerifier(t, idp, now, nil)
	token := sign(t, jwt.SigningMethodES256, k.ec, longLived(), "ec1")
	wantAccepted(t, v, token)

	idp.fail(http.StatusServiceUnavailable)
	set(testNow.Add(2 * time.Hour))
	wantAccepted(t, v, token)
	wantAccepted(t, v, token)
	if got := idp.count(); got != 2 {
		t.Errorf("got %d fetches, want 2: one failed refresh, then none within the minute", got)
	}
	idp.srv.Close() // connection refused from now on
	set(testNow.Add(3 * time.Hour))
	wantAccepted(t, v, token)
}

func TestJWKSEndpointDownAtStartUpIsRetriedAMinuteLater(t *testing.T) {
	k := loadTestKeys(t)
	idp := newFakeIdP(t, jwkOf(t, &k.rsa1.PublicKey, "k1", jwkset.AlgRS256))
	idp.fail(http.StatusBadGateway)
	now, set := fixedClock()
	v := jwksVerifier(t, idp, now, nil)
	token := sign(t, jwt.SigningMethodRS256, k.rsa1, longLived(), "k1")
	_, err := v.Verify(token)
	wantUnauthorized(t, err, "token signing key is unknown", token)

	idp.fail(0)
	set(testNow.Add(time.Minute))
	wantAccepted(t, v, token)
}

func TestJWKSNeverWidensTheAlgorithms(t *testing.T) {
	k := loadTestKeys(t)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	hmacKey := []byte("an-oct-key-published-by-mistake-0123456789")
	rsaPEM := pkixPEM(t, &k.rsa1.PublicKey)
	idp := newFakeIdP(t,
		jwkOf(t, &k.rsa1.PublicKey, "rsa", jwkset.AlgRS256),
		jwkOf(t, &k.rsa2.PublicKey, "rsa-no-alg", ""),
		jwkOf(t, &k.ec.PublicKey, "ec", jwkset.AlgES256),
		jwkOf(t, &k.rsaOther.PublicKey, "rsa-512", jwkset.AlgRS512),
		jwkOf(t, &small.PublicKey, "rsa-1024", jwkset.AlgRS256),
		octJWK("oct", hmacKey),
	)
	now, _ := fixedClock()
	jwksOnly := jwksVerifier(t, idp, now, nil)
	withHMAC := jwksVerifier(t, idp, now, func(c *Config) { c.HMACSecret = testSecret })

	tests := []struct {
		name  string
		v     *Verifier
		token func(t *testing.T) string
		want  string
	}{
		{"an RS256 token from a published key is accepted", jwksOnly,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodRS256, k.rsa1, longLived(), "rsa") }, ""},
		{"an RS256 token from a published key without alg is accepted", jwksOnly,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodRS256, k.rsa2, longLived(), "rsa-no-alg") }, ""},
		{"an ES256 token from a published key is accepted", jwksOnly,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodES256, k.ec, longLived(), "ec") }, ""},
		{"an RS256 token without a kid is checked against every published RSA key", jwksOnly,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodRS256, k.rsa2, longLived(), "") }, ""},
		{"an ES256 token naming an RS256 key does not match its key", jwksOnly,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodES256, k.ec, longLived(), "rsa") },
			"token algorithm does not match its key"},
		{"an ES256 token naming an RSA key without alg does not match its key", jwksOnly,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodES256, k.ec, longLived(), "rsa-no-alg") },
			"token algorithm does not match its key"},
		{"an RS256 token naming an EC key does not match its key", jwksOnly,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodRS256, k.rsa1, longLived(), "ec") },
			"token algorithm does not match its key"},
		{"an RS512 token naming a key published for RS512 is not accepted", jwksOnly,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodRS512, k.rsaOther, longLived(), "rsa-512") },
			"token algorithm is not accepted"},
		{"an RS256 token naming a key published for RS512 finds no key", jwksOnly,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodRS256, k.rsaOther, longLived(), "rsa-512") },
			"token signing key is unknown"},
		{"an RS256 token naming a 1024-bit key finds no key", jwksOnly,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodRS256, small, longLived(), "rsa-1024") },
			"token signing key is unknown"},
		{"an alg none token is not accepted", jwksOnly,
			func(t *testing.T) string {
				return sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, longLived(), "rsa")
			}, "token algorithm is not accepted"},
		{"an HS256 token keyed with the published RSA key's PEM is not accepted", jwksOnly,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodHS256, rsaPEM, longLived(), "rsa") },
			"token algorithm is not accepted"},
		{"an HS256 token keyed with a published oct key is not accepted", jwksOnly,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodHS256, hmacKey, longLived(), "oct") },
			"token algorithm is not accepted"},
		{"next to an HMAC secret an HS256 token keyed with the RSA key's PEM has an invalid signature", withHMAC,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodHS256, rsaPEM, longLived(), "rsa") },
			"token signature is invalid"},
		{"next to an HMAC secret an HS256 token keyed with a published oct key has an invalid signature", withHMAC,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodHS256, hmacKey, longLived(), "oct") },
			"token signature is invalid"},
		{"next to a JWKS the HMAC secret still verifies HS256", withHMAC,
			func(t *testing.T) string { return sign(t, jwt.SigningMethodHS256, []byte(testSecret), longLived(), "") }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := tt.token(t)
			_, err := tt.v.Verify(token)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got error %v, want the token accepted", err)
				}
				return
			}
			wantUnauthorized(t, err, tt.want, token)
		})
	}
}

func TestJWKSSitsAlongsidePEMKeys(t *testing.T) {
	k := loadTestKeys(t)
	idp := newFakeIdP(t, jwkOf(t, &k.rsa2.PublicKey, "idp-key", jwkset.AlgRS256))
	now, _ := fixedClock()
	v := jwksVerifier(t, idp, now, func(c *Config) { c.PublicKeysPEM = pkixPEM(t, &k.rsa1.PublicKey) })
	tests := []struct {
		name, kid string
		key       *rsa.PrivateKey
		want      string
	}{
		{"a PEM-signed token with an issuer's own kid is accepted", "issuer-numbering-7", k.rsa1, ""},
		{"a PEM-signed token without a kid is accepted", "", k.rsa1, ""},
		{"a JWKS-signed token with its kid is accepted", "idp-key", k.rsa2, ""},
		{"a JWKS-signed token without a kid is accepted", "", k.rsa2, ""},
		{"a token from neither key with an unknown kid has an invalid signature", "nobody", k.rsaOther, "token signature is invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := sign(t, jwt.SigningMethodRS256, tt.key, longLived(), tt.kid)
			_, err := v.Verify(token)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got error %v, want the token accepted", err)
				}
				return
			}
			wantUnauthorized(t, err, tt.want, token)
		})
	}
}

func TestJWKSConfigIsValidated(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"a minimum interval above the refresh interval is rejected",
			Config{JWKSURL: "http://127.0.0.1:1/jwks", JWKSRefreshInterval: time.Minute, JWKSMinRefreshInterval: time.Hour}},
		{"a negative refresh interval is rejected", Config{JWKSURL: "http://127.0.0.1:1/jwks", JWKSRefreshInterval: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v, err := NewVerifier(tt.cfg); err == nil {
				t.Errorf("got verifier %v, want an error", v)
			}
		})
	}
}
