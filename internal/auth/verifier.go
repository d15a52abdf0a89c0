package auth

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"switchboard/internal/domain"
)

// errAlgorithm is returned by the key function when a token's algorithm has
// no configured key. The parser wraps it in jwt.ErrTokenUnverifiable.
var errAlgorithm = errors.New("auth: token algorithm is not accepted")

// Verifier verifies caller tokens. Build it with NewVerifier; everything it
// needs is computed there, and afterwards it is read-only apart from its
// internally locked cache, so it is safe for concurrent use.
type Verifier struct {
	parser        *jwt.Parser
	keyfunc       jwt.Keyfunc
	algs          []string
	now           func() time.Time
	maxTokenBytes int
	cache         *verifyCache // nil when off

	// Keys are stored as interface values once here so that handing one to
	// the parser costs nothing per token.
	hmacKey  any            // []byte, nil when HS256 is off
	rsaAll   any            // jwt.VerificationKeySet, nil when RS256 is off
	ecAll    any            // jwt.VerificationKeySet, nil when ES256 is off
	rsaByKID map[string]any // thumbprint → *rsa.PublicKey
	ecByKID  map[string]any // thumbprint → *ecdsa.PublicKey
}

// NewVerifier validates cfg, parses its keys and returns a Verifier that
// accepts exactly the algorithms the keys enable. Errors name a bad PEM
// block by its zero-based index and never contain the secret or key bytes.
func NewVerifier(cfg Config) (*Verifier, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("auth: new verifier: %w", err)
	}
	v := &Verifier{
		now:           cfg.Now,
		maxTokenBytes: cfg.MaxTokenBytes,
		rsaByKID:      make(map[string]any),
		ecByKID:       make(map[string]any),
	}
	if cfg.HMACSecret != "" {
		v.hmacKey = []byte(cfg.HMACSecret.Reveal())
		v.algs = append(v.algs, jwt.SigningMethodHS256.Alg())
	}
	if len(cfg.PublicKeysPEM) > 0 {
		keys, err := parsePublicKeys(cfg.PublicKeysPEM)
		if err != nil {
			return nil, fmt.Errorf("auth: new verifier: public keys: %w", err)
		}
		v.addPublicKeys(keys)
	}
	if cfg.CacheSize > 0 {
		v.cache = newVerifyCache(cfg.CacheSize)
	}
	v.keyfunc = v.key
	v.parser = jwt.NewParser(
		jwt.WithValidMethods(v.algs),
		jwt.WithAudience(cfg.Audience),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(cfg.Now),
	)
	return v, nil
}

// addPublicKeys sorts keys by type and enables RS256 and ES256 as needed.
func (v *Verifier) addPublicKeys(keys []publicKey) {
	var rsaSet, ecSet jwt.VerificationKeySet
	for _, k := range keys {
		switch k.key.(type) {
		case *rsa.PublicKey:
			rsaSet.Keys = append(rsaSet.Keys, k.key)
			if _, dup := v.rsaByKID[k.kid]; !dup {
				v.rsaByKID[k.kid] = k.key
			}
		case *ecdsa.PublicKey:
			ecSet.Keys = append(ecSet.Keys, k.key)
			if _, dup := v.ecByKID[k.kid]; !dup {
				v.ecByKID[k.kid] = k.key
			}
		}
	}
	if len(rsaSet.Keys) > 0 {
		v.rsaAll = rsaSet
		v.algs = append(v.algs, jwt.SigningMethodRS256.Alg())
	}
	if len(ecSet.Keys) > 0 {
		v.ecAll = ecSet
		v.algs = append(v.algs, jwt.SigningMethodES256.Alg())
	}
}

// key is the jwt.Keyfunc. The parser has already refused any algorithm not
// in v.algs; key checks again that the method's type matches the key's
// type, so an HS256 token can never be checked against a public key's bytes
// (algorithm confusion) even if the allowed list were wrong.
func (v *Verifier) key(t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	switch t.Method.(type) {
	case *jwt.SigningMethodHMAC:
		if alg == jwt.SigningMethodHS256.Alg() && v.hmacKey != nil {
			return v.hmacKey, nil
		}
	case *jwt.SigningMethodRSA: // RSA-PSS has its own type and never matches
		if alg == jwt.SigningMethodRS256.Alg() && v.rsaAll != nil {
			return pickKey(t, v.rsaByKID, v.rsaAll), nil
		}
	case *jwt.SigningMethodECDSA:
		if alg == jwt.SigningMethodES256.Alg() && v.ecAll != nil {
			return pickKey(t, v.ecByKID, v.ecAll), nil
		}
	}
	return nil, errAlgorithm
}

// pickKey chooses the keys to try. A "kid" header that equals the RFC 7638
// thumbprint of a configured key of the right type selects that key alone.
// Any other kid — issuers number their keys in their own ways — and a
// missing kid fall back to trying every key of the right type: the kid is
// only a hint, each candidate is still checked cryptographically, and the
// kid is never used to find a key anywhere else.
func pickKey(t *jwt.Token, byKID map[string]any, all any) any {
	if kid, ok := t.Header["kid"].(string); ok {
		if k, ok := byKID[kid]; ok {
			return k
		}
	}
	return all
}

// Verify checks token and returns its Principal. Every failure is a
// *domain.Error with CodeUnauthorized and a caller-safe message. The
// returned Principal is the caller's own copy.
func (v *Verifier) Verify(token string) (*Principal, error) {
	if token == "" {
		return nil, unauthorized("missing token", nil)
	}
	if len(token) > v.maxTokenBytes {
		return nil, unauthorized("token is too large", nil)
	}
	var cacheKey [32]byte
	if v.cache != nil {
		cacheKey = sha256.Sum256([]byte(token))
		if p, ok := v.cache.get(cacheKey, v.now()); ok {
			return &p, nil
		}
	}
	var c tokenClaims
	t, err := v.parser.ParseWithClaims(token, &c, v.keyfunc)
	if err != nil {
		return nil, v.failure(err, t)
	}
	p := Principal{
		Subject:   c.Subject,
		Tenant:    c.Tenant,
		Scopes:    ParseScopes(c.Scope),
		ExpiresAt: c.ExpiresAt.Time,
		TokenID:   c.ID,
	}
	if v.cache != nil {
		v.cache.put(cacheKey, p, v.now())
	}
	return &p, nil
}

// String keeps the HMAC secret out of fmt output.
func (v *Verifier) String() string { return fmt.Sprintf("auth.Verifier{algs: %v}", v.algs) }

// GoString keeps the HMAC secret out of %#v output.
func (v *Verifier) GoString() string { return v.String() }

// unauthorized returns the error for a failed verification.
func unauthorized(msg string, cause error) *domain.Error {
	return &domain.Error{Code: domain.CodeUnauthorized, Message: msg, Err: cause}
}
