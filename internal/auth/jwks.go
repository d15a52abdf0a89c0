package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
)

// Refresh policy of a JWKS (SPEC §1): every hour, and on a token whose kid is
// unknown at most once a minute, so a flood of made-up kids costs the
// identity provider one request a minute and the gateway nothing more.
const (
	// DefaultJWKSRefreshInterval is how old the key set may grow before the
	// next token that needs it refreshes it.
	DefaultJWKSRefreshInterval = time.Hour
	// DefaultJWKSMinRefreshInterval is the least time between two fetches,
	// whatever triggers them (an unknown kid, the hourly refresh, a failure).
	DefaultJWKSMinRefreshInterval = time.Minute
	// jwksFetchTimeout bounds one fetch, which a request may be waiting on.
	jwksFetchTimeout = 5 * time.Second
	// maxJWKSBytes bounds the body read from the identity provider.
	maxJWKSBytes = 1 << 20
)

// jwksStore is the jwkset.Storage behind the keyfunc library: an in-memory
// key set that refreshes itself from the identity provider by the policy
// above, on the reader's goroutine, with the Verifier's clock. It keeps only
// keys RS256 or ES256 can use, so neither an HMAC ("oct") key nor an RSA key
// under 2048 bits nor another curve ever reaches the parser.
//
// A failed fetch keeps the keys already known: an identity provider that is
// down does not lock every caller out.
type jwksStore struct {
	*jwkset.MemoryJWKSet

	url      string
	client   *http.Client
	now      func() time.Time
	every    time.Duration
	minGap   time.Duration
	logger   *slog.Logger
	fetchMu  sync.Mutex // held during a fetch; serializes them
	stateMu  sync.Mutex // guards fetched and attempted
	fetched  time.Time  // last successful fetch
	attempt  time.Time  // last fetch, successful or not
	attempts int        // fetches made, for tests
}

// newJWKSStore builds the store and makes the first fetch. A failure is
// logged, not returned: the gateway starts, and the next token that needs a
// key (a minute later at the earliest) tries again.
func newJWKSStore(cfg Config) *jwksStore {
	s := &jwksStore{
		MemoryJWKSet: jwkset.NewMemoryStorage(),
		url:          cfg.JWKSURL,
		client:       cfg.JWKSClient,
		now:          cfg.Now,
		every:        cfg.JWKSRefreshInterval,
		minGap:       cfg.JWKSMinRefreshInterval,
		logger:       cfg.Logger,
	}
	s.fetchMu.Lock()
	s.refreshLocked(context.Background())
	s.fetchMu.Unlock()
	return s
}

// KeyRead returns the key with keyID. An unknown keyID refreshes the set
// once if the last fetch is at least minGap old; concurrent readers of an
// unknown kid wait for that one fetch rather than starting their own.
func (s *jwksStore) KeyRead(ctx context.Context, keyID string) (jwkset.JWK, error) {
	s.refreshIfStale(ctx)
	if k, err := s.MemoryJWKSet.KeyRead(ctx, keyID); err == nil {
		return k, nil
	}
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	// Another reader may have fetched while this one waited for the lock.
	if k, err := s.MemoryJWKSet.KeyRead(ctx, keyID); err == nil {
		return k, nil
	}
	if s.mayFetch() {
		s.refreshLocked(ctx)
	}
	return s.MemoryJWKSet.KeyRead(ctx, keyID)
}

// KeyReadAll returns every key, after the hourly refresh if it is due.
func (s *jwksStore) KeyReadAll(ctx context.Context) ([]jwkset.JWK, error) {
	s.refreshIfStale(ctx)
	return s.MemoryJWKSet.KeyReadAll(ctx)
}

// refreshIfStale fetches the set when the last success is at least every
// old. A reader that finds a fetch already running goes on with the keys it
// has instead of queueing behind it.
func (s *jwksStore) refreshIfStale(ctx context.Context) {
	s.stateMu.Lock()
	stale := s.now().Sub(s.fetched) >= s.every
	s.stateMu.Unlock()
	if !stale || !s.fetchMu.TryLock() {
		return
	}
	defer s.fetchMu.Unlock()
	if s.mayFetch() {
		s.refreshLocked(ctx)
	}
}

// mayFetch reports whether minGap has passed since the last fetch.
func (s *jwksStore) mayFetch() bool {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.attempts == 0 || s.now().Sub(s.attempt) >= s.minGap
}

// refreshLocked fetches the set and, on success, replaces the keys. It is
// called with fetchMu held.
func (s *jwksStore) refreshLocked(ctx context.Context) {
	s.stateMu.Lock()
	s.attempt = s.now()
	s.attempts++
	s.stateMu.Unlock()
	keys, err := s.fetch(ctx)
	if err != nil {
		s.logger.Warn("caller key set refresh failed; keeping the keys already known", "error", err.Error())
		return
	}
	_ = s.MemoryJWKSet.KeyReplaceAll(ctx, keys) // the memory store never fails
	s.stateMu.Lock()
	s.fetched = s.now()
	s.stateMu.Unlock()
}

// fetch reads and parses the key set. Keys that RS256 and ES256 cannot use
// are skipped with a debug line; a body that is not a key set is an error.
func (s *jwksStore) fetch(ctx context.Context) ([]jwkset.JWK, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), jwksFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks: build request: %w", err)
	}
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks: fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: fetch: status %d", resp.StatusCode)
	}
	var set jwkset.JWKSMarshal
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJWKSBytes)).Decode(&set); err != nil {
		return nil, errors.New("jwks: response is not a JSON key set")
	}
	keys := make([]jwkset.JWK, 0, len(set.Keys))
	for i, m := range set.Keys {
		k, err := usableJWK(m)
		if err != nil {
			s.logger.Debug("caller key set: key skipped", "index", i, "reason", err.Error())
			continue
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// usableJWK parses one key of the set and accepts it only for signatures,
// only as an RSA key of at least minRSABits or an EC P-256 key, and only
// with no "alg" or the one algorithm its type serves: the allow-list of the
// Verifier is never widened by what the provider publishes.
func usableJWK(m jwkset.JWKMarshal) (jwkset.JWK, error) {
	if m.USE != "" && m.USE != jwkset.UseSig {
		return jwkset.JWK{}, fmt.Errorf("use %q is not sig", m.USE)
	}
	var want jwkset.ALG
	switch m.KTY {
	case jwkset.KtyRSA:
		want = jwkset.AlgRS256
	case jwkset.KtyEC:
		want = jwkset.AlgES256
	default:
		return jwkset.JWK{}, fmt.Errorf("key type %q is not RSA or EC", m.KTY)
	}
	if m.ALG != "" && m.ALG != want {
		return jwkset.JWK{}, fmt.Errorf("alg %q is not accepted for key type %s", m.ALG, m.KTY)
	}
	// Public only: private members a provider publishes by mistake are dropped.
	k, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
	if err != nil {
		return jwkset.JWK{}, fmt.Errorf("parse: %w", err)
	}
	if _, err := checkKey(k.Key()); err != nil {
		return jwkset.JWK{}, err
	}
	return k, nil
}

// fetchCount returns how many fetches the store made, for tests.
func (s *jwksStore) fetchCount() int {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	return s.attempts
}

// jwksKeyMatches reports whether key may check a token of method alg: the
// key function of the keyfunc library returns whatever the set holds, and
// the Verifier checks its type again itself.
func jwksKeyMatches(alg string, key any) bool {
	switch key.(type) {
	case *rsa.PublicKey:
		return alg == "RS256"
	case *ecdsa.PublicKey:
		return alg == "ES256"
	}
	return false
}
