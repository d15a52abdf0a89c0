package phonewagonsim

import (
	"crypto/subtle"

	"switchboard/internal/domain"
)

// authenticate checks the basic-auth credentials of one request, as the docs
// require for every request: the client id is the username, the secret the
// password. The secret is compared in constant time.
func (s *Server) authenticate(clientID, secret string, hasAuth bool) (*account, bool) {
	if !hasAuth {
		return nil, false
	}
	acct, ok := s.accounts[clientID]
	if !ok || !sameSecret(acct.secret, secret) {
		return nil, false
	}
	return acct, true
}

func sameSecret(want domain.Secret, got string) bool {
	return subtle.ConstantTimeCompare([]byte(want.Reveal()), []byte(got)) == 1
}
