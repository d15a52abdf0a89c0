// Package callwidgetsim simulates the CallWidget API for tests, benchmarks
// and sandbox mode, following /upstreams/callwidget-api.txt: everything is
// served under /api/v1; POST /api-login and /refresh-token hand out bearer
// tokens (refresh rotates both); /share/... serves the installs,
// departments, tags and automations lookups and the five actions.
package callwidgetsim

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"switchboard/internal/sandbox/simhttp"
	"sync"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/sandbox/fault"
)

// BasePath is the prefix of every route, as in the docs'
// https://api.callwidget.co/api/v1/... URLs.
const BasePath = "/api/v1"

// Defaults for zero Config fields.
const (
	DefaultTokenTTL   = time.Hour
	DefaultRefreshTTL = 30 * 24 * time.Hour
)

// User is one CallWidget login and the seed of its data.
type User struct {
	// Email is the login. Required, unique.
	Email string
	// Password is the login's password. Required.
	Password domain.Secret
	// Seed, with Email, seeds the user's lookups: two users never share
	// them, and the same user always gets the same ones.
	Seed int64
	// Examples adds the records the vendor docs' and the gateway's API
	// examples name (see DocsExamples), so that each example works as
	// written against this user. Other users never hold them, which keeps
	// every user's installs its own.
	Examples bool
}

// Config configures a Server. Zero fields mean the documented defaults.
type Config struct {
	// Users are the logins the simulator knows. At least one.
	Users []User
	// TokenTTL is the access tokens' lifetime, reported as expires_in
	// (default DefaultTokenTTL).
	TokenTTL time.Duration
	// RefreshTTL is the refresh tokens' lifetime (default DefaultRefreshTTL).
	RefreshTTL time.Duration
	// Now is the clock for token expiry and created_at (default time.Now).
	// It must be safe for concurrent use.
	Now func() time.Time
	// Latency is added to every response, for benchmarks. A request whose
	// context ends while waiting gets no response.
	Latency time.Duration
}

// Server is the simulated CallWidget API. It is an http.Handler, safe for
// concurrent use; the users' lookups are immutable after New.
type Server struct {
	now     func() time.Time
	latency time.Duration
	users   map[string]*user
	tokens  *tokenStore
	faults  fault.Switch

	mu        sync.Mutex
	requests  []Request
	actions   []Action
	logins    int
	refreshes int
}

// user is a User with its generated lookups.
type user struct {
	email    string
	password domain.Secret
	data     Dataset
}

// New validates cfg, generates every user's lookups and returns the server.
func New(cfg Config) (*Server, error) {
	if err := validate(cfg); err != nil {
		return nil, fmt.Errorf("callwidgetsim: new: %w", err)
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.RefreshTTL == 0 {
		cfg.RefreshTTL = DefaultRefreshTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{
		now:     cfg.Now,
		latency: cfg.Latency,
		users:   make(map[string]*user, len(cfg.Users)),
		tokens:  newTokenStore(cfg.TokenTTL, cfg.RefreshTTL),
	}
	for _, u := range cfg.Users {
		data := generate(u)
		if u.Examples {
			data = withExamples(data)
		}
		s.users[u.Email] = &user{email: u.Email, password: u.Password, data: data}
	}
	return s, nil
}

// validate reports the first invalid Config field; it never prints a secret.
func validate(cfg Config) error {
	if len(cfg.Users) == 0 {
		return errors.New("Users: at least one user is required")
	}
	seen := make(map[string]bool, len(cfg.Users))
	for i, u := range cfg.Users {
		switch {
		case u.Email == "":
			return fmt.Errorf("Users[%d].Email: required", i)
		case seen[u.Email]:
			return fmt.Errorf("Users[%d].Email: duplicate %q", i, u.Email)
		case u.Password == "":
			return fmt.Errorf("Users[%d].Password: required", i)
		}
		seen[u.Email] = true
	}
	switch {
	case cfg.TokenTTL < 0:
		return fmt.Errorf("TokenTTL: must not be negative, got %s", cfg.TokenTTL)
	case cfg.RefreshTTL < 0:
		return fmt.Errorf("RefreshTTL: must not be negative, got %s", cfg.RefreshTTL)
	case cfg.Latency < 0:
		return fmt.Errorf("Latency: must not be negative, got %s", cfg.Latency)
	}
	return nil
}

// exchange is what a handler knows of its request beyond net/http: its
// index in the request log and, on share routes, the authenticated user.
type exchange struct {
	idx  int
	user *user
}

// handler serves one route.
type handler func(w http.ResponseWriter, r *http.Request, x *exchange)

// route returns the handler and method of a path below BasePath, and
// whether it needs a bearer token.
func (s *Server) route(path string) (h handler, method string, bearer bool, ok bool) {
	switch path {
	case "/api-login":
		return s.login, http.MethodPost, false, true
	case "/refresh-token":
		return s.refresh, http.MethodPost, false, true
	case "/share/installs":
		return s.installs, http.MethodGet, true, true
	case "/share/departments":
		return s.lookup(func(d *Dataset) []Lookup { return d.Departments }), http.MethodGet, true, true
	case "/share/tags":
		return s.lookup(func(d *Dataset) []Lookup { return d.Tags }), http.MethodGet, true, true
	case "/share/automations":
		return s.lookup(func(d *Dataset) []Lookup { return d.Automations }), http.MethodGet, true, true
	}
	if spec, found := actionSpecs(strings.TrimPrefix(path, "/share/")); found && strings.HasPrefix(path, "/share/") {
		return s.action(spec), http.MethodPost, true, true
	}
	return nil, "", false, false
}

// ServeHTTP records the request, waits the configured latency, applies an
// injected fault, then serves the API: unknown paths are 404 and wrong
// methods 405 before any authentication; /share/... needs a valid bearer
// access token.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	idx := s.record(r)
	if s.latency > 0 && !bufferBody(r) {
		return
	}
	if !simhttp.Wait(r, s.latency) {
		return
	}
	rel, underBase := strings.CutPrefix(r.URL.Path, BasePath)
	if s.faults.Serve(w, r, r.URL.Path, rel) {
		return
	}
	h, method, bearer, ok := s.route(rel)
	if !underBase || !ok {
		writeMessage(w, http.StatusNotFound, "Not Found.")
		return
	}
	if r.Method != method {
		w.Header().Set("Allow", method)
		writeMessage(w, http.StatusMethodNotAllowed, "The "+r.Method+" method is not supported for this route.")
		return
	}
	x := &exchange{idx: idx}
	if bearer {
		if x.user, ok = s.authenticate(r); !ok {
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeMessage(w, http.StatusUnauthorized, "Unauthenticated.")
			return
		}
		s.setRequestEmail(idx, x.user.email)
	}
	h(w, r, x)
}

// InjectFault makes the next matching requests fail as f describes, before
// authentication. f.PathPrefix matches either the full path
// ("/api/v1/share/") or the path below BasePath ("/share/"). Faulted
// requests are still recorded.
func (s *Server) InjectFault(f fault.Fault) { s.faults.Inject(f) }

// ClearFault removes the injected fault and releases requests it hangs.
func (s *Server) ClearFault() { s.faults.Clear() }
