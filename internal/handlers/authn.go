package handlers

import (
	"net/http"
	"strings"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
)

// authenticate requires a valid bearer token whose tenant is configured in
// the generation of tenants in force when the request arrives.
// A missing or invalid token is 401 (with WWW-Authenticate); a valid token
// for an unknown tenant is 403, since the caller did authenticate.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearerToken(r.Header.Get("Authorization"))
		if !ok {
			writeProblem(w, r, s.logger, domain.Errorf(domain.CodeUnauthorized,
				"an Authorization: Bearer token is required"))
			return
		}
		p, err := s.verifier.Verify(token)
		if err != nil {
			writeProblem(w, r, s.logger, err)
			return
		}
		ri := infoFrom(r.Context())
		ri.subject = p.Subject
		gen := s.gen.Load() // one generation for the whole request
		t, ok := gen.tenants[p.Tenant]
		if !ok {
			writeProblem(w, r, s.logger, domain.Errorf(domain.CodeForbidden,
				"the token's tenant is not configured on this gateway"))
			return
		}
		ri.tenant = t.ID
		tagSpanTenant(r.Context(), t.ID)
		if st := stateFrom(r.Context()); st != nil {
			// The request's context (the state) answers for both from now
			// on, so the request is not copied.
			st.authed = auth.NewContext(st.Context, p)
			st.tenant = tenantEntry{tenant: t, limiter: gen.limiters[t.ID]}
			next.ServeHTTP(w, r)
			return
		}
		ctx := withTenant(auth.NewContext(r.Context(), p), &tenantEntry{tenant: t, limiter: gen.limiters[t.ID]})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// requireScope answers 403 unless the caller's token grants scope.
func (s *Server) requireScope(scope auth.Scope) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := auth.FromContext(r.Context())
			if !ok || !p.HasScope(scope) {
				writeProblem(w, r, s.logger, domain.Errorf(domain.CodeForbidden,
					"the token lacks the %q scope", scope))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// bearerToken extracts the token of an "Authorization: Bearer <token>"
// header; the scheme is case-insensitive (RFC 9110 §11.1).
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// bearerChallenge is the WWW-Authenticate value of a 401 (RFC 6750 §3):
// the realm alone when the request carried no bearer token, and
// error="invalid_token" with why it was refused when it did.
func bearerChallenge(r *http.Request, why string) string {
	const realm = `Bearer realm="switchboard"`
	if _, sent := bearerToken(r.Header.Get("Authorization")); !sent {
		return realm
	}
	return realm + `, error="invalid_token", error_description="` + challengeText(why) + `"`
}

// challengeText keeps what RFC 6750 §3 allows in error_description
// (%x20-21 / %x23-5B / %x5D-7E: printable ASCII but '"' and '\'),
// replacing anything else with a space.
func challengeText(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			b[i] = ' '
		}
	}
	return string(b)
}
