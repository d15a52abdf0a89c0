package callwidgetsim

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"switchboard/internal/domain"
)

// tokenResponse is the body of a login or refresh, as documented.
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"` // seconds
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// login serves POST /api-login {"email","password"}. Every attempt that
// reaches it counts in Logins, successful or not.
func (s *Server) login(w http.ResponseWriter, r *http.Request, x *exchange) {
	s.count(&s.logins)
	body, _, err := readObject(r)
	if err != nil {
		writeMessage(w, http.StatusBadRequest, err.Error())
		return
	}
	email, _ := body["email"].(string)
	password, _ := body["password"].(string)
	u, ok := s.users[email]
	if !ok || subtle.ConstantTimeCompare([]byte(u.password.Reveal()), []byte(password)) != 1 {
		writeJSON(w, http.StatusUnauthorized, map[string]string{
			"error":   "invalid_credentials",
			"message": "The user credentials were incorrect.",
		})
		return
	}
	s.setRequestEmail(x.idx, email)
	writeTokens(w, s.tokens.issue(email, s.now()))
}

// refresh serves POST /refresh-token {"refresh_token"}: rotation, so the
// old refresh token and its access token stop working. Every attempt that
// reaches it counts in Refreshes.
func (s *Server) refresh(w http.ResponseWriter, r *http.Request, x *exchange) {
	s.count(&s.refreshes)
	body, _, err := readObject(r)
	if err != nil {
		writeMessage(w, http.StatusBadRequest, err.Error())
		return
	}
	old, _ := body["refresh_token"].(string)
	email, pair, ok := s.tokens.rotate(domain.Secret(old), s.now())
	if old == "" || !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{
			"error":   "invalid_request",
			"message": "The refresh token is invalid.",
		})
		return
	}
	s.setRequestEmail(x.idx, email)
	writeTokens(w, pair)
}

func writeTokens(w http.ResponseWriter, p tokenPair) {
	writeJSON(w, http.StatusOK, tokenResponse{
		TokenType:    "Bearer",
		ExpiresIn:    int64(p.expiresIn.Seconds()),
		AccessToken:  p.access.Reveal(),
		RefreshToken: p.refresh.Reveal(),
	})
}

// authenticate resolves "Authorization: Bearer <access token>" to its user:
// missing, unknown, expired (by the clock) or revoked tokens fail.
func (s *Server) authenticate(r *http.Request) (*user, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return nil, false
	}
	email, ok := s.tokens.user(domain.Secret(strings.TrimSpace(token)), s.now())
	if !ok {
		return nil, false
	}
	u, ok := s.users[email]
	return u, ok
}

// RevokeAccessTokens makes every current access token of email answer 401,
// as when the upstream revokes them on its side; the user's refresh tokens
// keep working.
func (s *Server) RevokeAccessTokens(email string) { s.tokens.revokeAccess(email) }
