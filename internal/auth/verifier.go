package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"switchboard/internal/domain"
)

// Errors of the key function; the parser wraps them in
// jwt.ErrTokenUnverifiable. None of them quotes the token's kid.
var (
	// errAlgorithm: the token's algorithm has no configured key.
	errAlgorithm = errors.New("auth: token algorithm is not accepted")
	// errUnknownKey: no configured or published key has the token's kid.
	errUnknownKey = errors.New("auth: token signing key is unknown")
	// errKeyMismatch: the key the kid names serves another algorithm.
	errKeyMismatch = errors.New("auth: token algorithm does not match its key")
)

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

	jwks      *jwksStore      // nil without a JWKS URL
	jwksKeyfn keyfunc.Keyfunc // reads jwks: kid lookup and alg match
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
	if cfg.JWKSURL != "" {
		if err := v.addJWKS(cfg); err != nil {
			return nil, fmt.Errorf("auth: new verifier: %w", err)
		}
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
		if alg == jwt.SigningMethodRS256.Alg() && (v.rsaAll != nil || v.jwks != nil) {
			return v.asymmetricKey(t, alg, v.rsaByKID, v.rsaAll)
		}
	case *jwt.SigningMethodECDSA:
		if alg == jwt.SigningMethodES256.Alg() && (v.ecAll != nil || v.jwks != nil) {
			return v.asymmetricKey(t, alg, v.ecByKID, v.ecAll)
		}
	}
	return nil, errAlgorithm
}

// asymmetricKey chooses the keys for an RS256 or ES256 token when a JWKS is
// configured. A kid selects one key: the PEM key with that thumbprint, else
// the published key with that kid (refreshing the set at most once a minute
// when it is unknown), else — issuers number keys their own ways — every PEM
// key of the right type. A published key whose type or "alg" serves another
// algorithm refuses the token. Without a kid every key of the right type is
// tried, published and PEM alike; each is still checked cryptographically.
func (v *Verifier) asymmetricKey(t *jwt.Token, alg string, byKID map[string]any, all any) (any, error) {
	if v.jwks == nil {
		return pickKey(t, byKID, all), nil
	}
	kid, hasKID := t.Header["kid"].(string)
	if !hasKID {
		return v.anyKey(alg, all)
	}
	if k, ok := byKID[kid]; ok {
		return k, nil
	}
	key, err := v.jwksKeyfn.Keyfunc(t)
	switch {
	case errors.Is(err, jwkset.ErrKeyNotFound) && all != nil:
		return all, nil
	case errors.Is(err, jwkset.ErrKeyNotFound):
		return nil, errUnknownKey
	case err != nil: // the key's "alg" names another algorithm
		return nil, errKeyMismatch
	case !jwksKeyMatches(alg, key):
		return nil, errKeyMismatch
	}
	return key, nil
}

// anyKey returns every published and PEM key that alg can use.
func (v *Verifier) anyKey(alg string, pemAll any) (any, error) {
	var set jwt.VerificationKeySet
	if pemAll != nil {
		set.Keys = append(set.Keys, pemAll.(jwt.VerificationKeySet).Keys...)
	}
	published, err := v.jwksKeyfn.VerificationKeySet(context.Background())
	if err == nil {
		for _, k := range published.Keys {
			if jwksKeyMatches(alg, k) {
				set.Keys = append(set.Keys, k)
			}
		}
	}
	if len(set.Keys) == 0 {
		return nil, errUnknownKey
	}
	return set, nil
}

// addJWKS enables RS256 and ES256 from the identity provider's key set.
// The first fetch happens here; see newJWKSStore.
func (v *Verifier) addJWKS(cfg Config) error {
	v.jwks = newJWKSStore(cfg)
	kf, err := keyfunc.New(keyfunc.Options{Storage: v.jwks})
	if err != nil {
		return fmt.Errorf("jwks: %w", err)
	}
	v.jwksKeyfn = kf
	for _, alg := range []string{jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg()} {
		if !slices.Contains(v.algs, alg) {
			v.algs = append(v.algs, alg)
		}
	}
	return nil
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
