package callwidget

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"switchboard/internal/domain"
)

// loginPause is how long a refused login is remembered: requests in that
// window fail at once with the same error instead of sending the same
// refused password again, which could get the account locked.
const loginPause = 30 * time.Second

// rememberedRejections is how many rejected access tokens a tokenSource
// remembers, so that no path hands one out again.
const rememberedRejections = 4

// tokenSource hands out CallWidget access tokens, in the manner of
// x/oauth2's ReuseTokenSource: it keeps the current token in process and
// only does work when that token is missing, about to expire, or was just
// rejected upstream. The work is:
//
//	read the store → valid? use it.
//	else lock the store → read again (another replica may have renewed it
//	meanwhile) → still not valid? refresh with the refresh token, or log
//	in if there is none or it is refused → compare-and-swap the result over
//	the version read → unlock.
//
// Concurrent needs of a token within the process share one such flight
// (singleflight); the store's lock serializes flights across replicas. A
// failing store is logged and bypassed, never reported to the caller.
//
// A tokenSource is safe for concurrent use.
type tokenSource struct {
	auth    *authenticator
	store   TokenStore // nil: the token lives in process only
	key     string
	now     func() time.Time
	delta   time.Duration
	timeout time.Duration // one upstream request
	log     *slog.Logger

	group singleflight.Group

	mu            sync.Mutex
	cur           token // the token in use; its Access is cleared once rejected
	bad           [rememberedRejections]domain.Secret
	badNext       int
	loginFailedAt time.Time
	loginErr      error
}

// Token returns an access token that is valid for at least the expiry
// delta, obtaining one if needed. ctx bounds the wait, not the work: a login
// in progress goes on for the other callers and the next request.
func (s *tokenSource) Token(ctx context.Context) (domain.Secret, error) {
	if tok, ok := s.cached(); ok {
		return tok, nil
	}
	return s.fetch(ctx, "")
}

// Renew is called when the upstream answered 401 to failed. It drops failed
// (only where it is still the current token: a newer one obtained meanwhile
// is kept) and returns a token other than failed.
func (s *tokenSource) Renew(ctx context.Context, failed domain.Secret) (domain.Secret, error) {
	s.reject(failed)
	return s.fetch(ctx, failed)
}

// fetch waits for a flight and returns its token unless it is failed. A
// caller that joined a flight begun before failed was rejected may get
// failed back; it then starts one more flight, which cannot return it.
func (s *tokenSource) fetch(ctx context.Context, failed domain.Secret) (domain.Secret, error) {
	for range 2 {
		ch := s.group.DoChan(s.key, func() (any, error) { return s.acquire(ctx) })
		var res singleflight.Result
		select {
		case res = <-ch:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		if res.Err != nil {
			return "", res.Err
		}
		if tok, _ := res.Val.(domain.Secret); tok != "" && tok != failed {
			return tok, nil
		}
	}
	return "", domain.Wrap(errors.New("callwidget: token: every renewed token was already rejected"),
		domain.CodeUpstreamAuthFailed, displayName+" rejected the configured credentials")
}

// acquire is the body of one flight. It runs detached from the cancellation
// of the caller that started it, since other callers share its result, and
// is bounded by flightTimeout instead.
func (s *tokenSource) acquire(parent context.Context) (any, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), s.flightTimeout())
	defer cancel()
	if tok, ok := s.cached(); ok {
		return tok, nil // a flight that ended just before this one began
	}

	stored, version, ok, storeFailed := s.load(ctx)
	if ok && s.usable(stored) {
		return s.use(stored), nil
	}
	if !storeFailed {
		unlock := s.lock(ctx, s.timeout, s.flightTimeout())
		defer unlock()
		stored, version, ok, storeFailed = s.load(ctx)
		if ok && s.usable(stored) {
			return s.use(stored), nil
		}
	}

	refresh := s.current().Refresh
	if ok && stored.Refresh != "" {
		refresh = stored.Refresh // newer than ours if another replica rotated it
	}
	tok, err := s.renew(ctx, refresh)
	if err != nil {
		if rejected(err) {
			// Credentials refused: whatever is stored is of no use to anyone.
			s.drop(ctx, version)
		}
		return nil, err
	}
	if !storeFailed {
		s.save(ctx, version, tok)
	}
	return s.use(tok), nil
}

// renew refreshes with refresh when there is one, and logs in when there
// is none or the upstream refused it. A refresh that failed for another
// reason (timeout, 5xx) is returned as is: logging in would meet the same
// outage, and the refresh token may still be good on the next try.
func (s *tokenSource) renew(ctx context.Context, refresh domain.Secret) (token, error) {
	if refresh != "" {
		tok, err := s.auth.refresh(ctx, refresh)
		if err == nil || !rejected(err) {
			return tok, err
		}
		s.log.InfoContext(ctx, "callwidget: refresh token refused; logging in again", "token_key", s.key, "error", err)
	}
	if err := s.loginPaused(); err != nil {
		return token{}, err
	}
	tok, err := s.auth.login(ctx)
	if err != nil && rejected(err) {
		s.pauseLogins(err)
	}
	return tok, err
}

// flightTimeout bounds one flight: a lock wait, a refresh and a login of
// one request timeout each, plus the store calls.
func (s *tokenSource) flightTimeout() time.Duration {
	return 3*s.timeout + 4*storeOpTimeout
}

// cached returns the current access token if it is valid.
func (s *tokenSource) cached() (domain.Secret, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.usableLocked(s.cur) {
		return "", false
	}
	return s.cur.Access, true
}

// current returns the token in use, possibly expired or rejected.
func (s *tokenSource) current() token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// use makes t the token in use and returns its access token.
func (s *tokenSource) use(t token) domain.Secret {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur = t
	return t.Access
}

// usable reports whether t may be sent: not expired, not rejected.
func (s *tokenSource) usable(t token) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usableLocked(t)
}

func (s *tokenSource) usableLocked(t token) bool {
	if !t.validAt(s.now(), s.delta) {
		return false
	}
	for _, b := range s.bad {
		if b != "" && b == t.Access {
			return false
		}
	}
	return true
}

// reject records that the upstream refused access token failed. The
// current token's refresh token is kept: it is what renews it.
func (s *tokenSource) reject(failed domain.Secret) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bad[s.badNext] = failed
	s.badNext = (s.badNext + 1) % len(s.bad)
	if s.cur.Access == failed {
		s.cur.Access = ""
	}
}

// loginPaused returns the last login refusal while it is recent.
func (s *tokenSource) loginPaused() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loginErr != nil && s.now().Before(s.loginFailedAt.Add(loginPause)) {
		return s.loginErr
	}
	return nil
}

// pauseLogins remembers a login refusal.
func (s *tokenSource) pauseLogins(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loginFailedAt, s.loginErr = s.now(), err
}
