package callwidgetsim

import (
	"crypto/rand"
	"sync"
	"time"

	"switchboard/internal/domain"
)

// tokenStore issues, checks, rotates and revokes opaque tokens. Tokens are
// random (crypto/rand), carry no meaning, and are kept as domain.Secret so
// they never print. A login adds a pair without invalidating earlier ones,
// as OAuth2 servers do; a refresh replaces its pair. It is safe for
// concurrent use.
type tokenStore struct {
	accessTTL, refreshTTL time.Duration

	mu      sync.Mutex
	access  map[domain.Secret]accessToken
	refresh map[domain.Secret]refreshToken
	sweepAt int // token count at which issue next forgets expired tokens
}

type accessToken struct {
	email   string
	expires time.Time
}

type refreshToken struct {
	email   string
	expires time.Time
	access  domain.Secret // the access token issued with it, revoked by rotation
}

// tokenPair is what a login or refresh hands out.
type tokenPair struct {
	access, refresh domain.Secret
	expiresIn       time.Duration
}

func newTokenStore(accessTTL, refreshTTL time.Duration) *tokenStore {
	return &tokenStore{
		accessTTL:  accessTTL,
		refreshTTL: refreshTTL,
		access:     make(map[domain.Secret]accessToken),
		refresh:    make(map[domain.Secret]refreshToken),
		sweepAt:    minSweep,
	}
}

// issue creates a new pair for email at now.
func (s *tokenStore) issue(email string, now time.Time) tokenPair {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.access)+len(s.refresh) >= s.sweepAt {
		s.sweepLocked(now)
		s.sweepAt = max(minSweep, 2*(len(s.access)+len(s.refresh)))
	}
	return s.issueLocked(email, now)
}

func (s *tokenStore) issueLocked(email string, now time.Time) tokenPair {
	p := tokenPair{access: newToken(), refresh: newToken(), expiresIn: s.accessTTL}
	s.access[p.access] = accessToken{email: email, expires: now.Add(s.accessTTL)}
	s.refresh[p.refresh] = refreshToken{email: email, expires: now.Add(s.refreshTTL), access: p.access}
	return p
}

// rotate trades a refresh token for a new pair. The old refresh token and
// the access token issued with it stop working whatever the outcome; an
// unknown or expired refresh token yields false.
func (s *tokenStore) rotate(old domain.Secret, now time.Time) (string, tokenPair, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt, ok := s.refresh[old]
	if !ok {
		return "", tokenPair{}, false
	}
	delete(s.refresh, old)
	delete(s.access, rt.access)
	if !now.Before(rt.expires) {
		return "", tokenPair{}, false
	}
	return rt.email, s.issueLocked(rt.email, now), true
}

// user returns the email an access token belongs to, if it is known and
// not expired at now.
func (s *tokenStore) user(token domain.Secret, now time.Time) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.access[token]
	if !ok || !now.Before(at.expires) {
		return "", false
	}
	return at.email, true
}

// revokeAccess drops every access token of email; its refresh tokens keep
// working.
func (s *tokenStore) revokeAccess(email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, at := range s.access {
		if at.email == email {
			delete(s.access, tok)
		}
	}
}

// minSweep is the token count below which expired tokens are not swept.
const minSweep = 1024

// sweepLocked forgets expired tokens so a long benchmark does not grow the
// maps without bound. issue calls it when the maps have doubled since the
// last sweep, which keeps logins amortized O(1).
func (s *tokenStore) sweepLocked(now time.Time) {
	for tok, at := range s.access {
		if !now.Before(at.expires) {
			delete(s.access, tok)
		}
	}
	for tok, rt := range s.refresh {
		if !now.Before(rt.expires) {
			delete(s.refresh, tok)
		}
	}
}

// newToken returns 256 random bits as text. crypto/rand.Text never fails.
func newToken() domain.Secret {
	return domain.Secret(rand.Text() + rand.Text())
}
