// Package phonewagonsim simulates the Phonewagon API (companies, campaigns
// and the call history) for tests, benchmarks and sandbox mode, following
// /upstreams/phonewagon-api.txt: basic auth with a client id and secret, at
// most 50 requests per minute per account, and absolute next-URL pagination
// of calls.
package phonewagonsim

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

// Defaults for zero Config and Account fields.
const (
	DefaultCalls         = 2500
	DefaultRatePerMinute = 50
)

// Account is one Phonewagon account: its credentials and the seed of its data.
type Account struct {
	// ClientID is the basic-auth username. Required, unique, without ':'.
	ClientID string
	// ClientSecret is the basic-auth password. Required.
	ClientSecret domain.Secret
	// Seed, with ClientID, seeds the account's data: two accounts never share
	// records, and the same account always gets the same ones.
	Seed int64
	// Calls is the number of historical call records (default
	// DefaultCalls, at most 1,000,000): 100k or more make a large history
	// for backfill tests and benchmarks, generated in well under a second.
	Calls int
	// Examples makes the account's first companies and campaign the ones
	// the vendor docs' examples name (see withExamples), so that each
	// example works as written against it.
	Examples bool

	// ArrivalEvery, when positive, makes the account live: new calls
	// arrive after Config.LiveFrom, on average one per ArrivalEvery (whole
	// seconds, often several in the same second), by the injected clock.
	ArrivalEvery time.Duration
	// CompleteAfter is how long a new call shows as "in-progress" (no
	// duration, no recording URL) before the upstream returns its final
	// record (default DefaultCompleteAfter).
	CompleteAfter time.Duration
	// LateBy, when positive, makes about one new call in five appear up to
	// LateBy after its start time, behind calls that started later.
	LateBy time.Duration
}

// Config configures a Server. Zero fields mean the documented defaults.
type Config struct {
	// Accounts are the accounts the simulator knows. At least one.
	Accounts []Account
	// RatePerMinute caps each account's requests in any sliding 60-second
	// window (default DefaultRatePerMinute, as the docs state).
	RatePerMinute int
	// Now is the clock for the rate limit and the default end_time (default
	// time.Now). It must be safe for concurrent use.
	Now func() time.Time
	// Anchor is the start time of every account's newest call (default
	// 2026-11-01T00:00:00Z, fixed so that the same accounts always serve the
	// same records); older calls spread over the 90 days before it.
	Anchor time.Time
	// Latency is added to every response, for benchmarks. A request whose
	// context ends while waiting gets no response.
	Latency time.Duration
	// LiveFrom is when live accounts' arrivals begin (default Now() at
	// New).
	LiveFrom time.Time
}

// Server is the simulated Phonewagon API. It is an http.Handler, safe for
// concurrent use. Its historical data is fixed at New; a live account's
// calls grow and change with the clock.
type Server struct {
	now      func() time.Time
	latency  time.Duration
	accounts map[string]*account
	faults   fault.Switch
	limiter  *limiter

	mu       sync.Mutex
	requests []Request
}

// account is an Account with its generated data. data.Calls changes as a
// live account's calls arrive and complete; companies and campaigns never
// change.
type account struct {
	secret domain.Secret

	mu   sync.Mutex
	data Dataset
	live *live // nil unless the account is live
}

// callsAt brings a live account's calls up to now and returns them (newest
// first). The caller holds a.mu and must not keep the slice after
// unlocking it.
func (a *account) callsAt(now time.Time) []Call {
	if a.live != nil {
		a.data.Calls = a.live.apply(a.data.Calls, now.UnixMilli())
	}
	return a.data.Calls
}

// New validates cfg, generates every account's data and returns the server.
func New(cfg Config) (*Server, error) {
	if err := validate(cfg); err != nil {
		return nil, fmt.Errorf("phonewagonsim: new: %w", err)
	}
	if cfg.RatePerMinute == 0 {
		cfg.RatePerMinute = DefaultRatePerMinute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Anchor.IsZero() {
		cfg.Anchor = time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)
	}
	s := &Server{
		now:      cfg.Now,
		latency:  cfg.Latency,
		accounts: make(map[string]*account, len(cfg.Accounts)),
		limiter:  newLimiter(cfg.RatePerMinute, time.Minute),
	}
	if cfg.LiveFrom.IsZero() {
		cfg.LiveFrom = cfg.Now()
	}
	for _, a := range cfg.Accounts {
		if a.Calls == 0 {
			a.Calls = DefaultCalls
		}
		data, lines := generate(a, cfg.Anchor)
		if a.Examples {
			ex := withExamples(data)
			lines = relabelLines(lines, data.Campaigns, ex.Campaigns)
			data = ex
		}
		acct := &account{secret: a.ClientSecret, data: data}
		if a.ArrivalEvery > 0 {
			var firstID int64 = 5000
			if len(data.Calls) > 0 {
				firstID = data.Calls[0].ID + 1
				for _, c := range data.Calls {
					firstID = max(firstID, c.ID+1)
				}
			}
			acct.live = newLive(a, lines, cfg.LiveFrom, firstID)
		}
		s.accounts[a.ClientID] = acct
	}
	return s, nil
}

// validate reports the first invalid Config field; it never prints a secret.
func validate(cfg Config) error {
	if len(cfg.Accounts) == 0 {
		return errors.New("Accounts: at least one account is required")
	}
	seen := make(map[string]bool, len(cfg.Accounts))
	for i, a := range cfg.Accounts {
		switch {
		case a.ClientID == "":
			return fmt.Errorf("Accounts[%d].ClientID: required", i)
		case strings.Contains(a.ClientID, ":"):
			return fmt.Errorf("Accounts[%d].ClientID: must not contain ':' (basic-auth username)", i)
		case seen[a.ClientID]:
			return fmt.Errorf("Accounts[%d].ClientID: duplicate %q", i, a.ClientID)
		case a.ClientSecret == "":
			return fmt.Errorf("Accounts[%d].ClientSecret: required", i)
		case a.Calls < 0 || a.Calls > maxCalls:
			return fmt.Errorf("Accounts[%d].Calls: must be between 0 and %d, got %d", i, maxCalls, a.Calls)
		case a.ArrivalEvery < 0 || a.CompleteAfter < 0 || a.LateBy < 0:
			return fmt.Errorf("Accounts[%d]: ArrivalEvery, CompleteAfter and LateBy must not be negative", i)
		}
		seen[a.ClientID] = true
	}
	if cfg.RatePerMinute < 0 {
		return fmt.Errorf("RatePerMinute: must not be negative, got %d", cfg.RatePerMinute)
	}
	if cfg.Latency < 0 {
		return fmt.Errorf("Latency: must not be negative, got %s", cfg.Latency)
	}
	return nil
}

// route returns the handler of path; every route is GET only.
func (s *Server) route(path string) (func(http.ResponseWriter, *http.Request, *account), bool) {
	switch path {
	case "/companies":
		return s.companies, true
	case "/campaigns":
		return s.campaigns, true
	case "/calls":
		return s.calls, true
	}
	return nil, false
}

// ServeHTTP records the request, waits the configured latency, applies an
// injected fault, then serves the API. Unknown paths (404) and wrong methods
// (405) are answered before authentication and do not count against the
// rate limit; every authenticated request does, whatever its outcome.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	clientID, secret, hasAuth := r.BasicAuth()
	s.record(r, clientID)
	if !simhttp.Wait(r, s.latency) {
		return
	}
	if s.faults.Serve(w, r) {
		return
	}
	handler, ok := s.route(r.URL.Path)
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no such resource")
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "only GET is allowed")
		return
	}
	acct, ok := s.authenticate(clientID, secret, hasAuth)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="phonewagon"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "invalid client id or secret")
		return
	}
	if retry, ok := s.limiter.allow(clientID, s.now()); !ok {
		w.Header().Set("Retry-After", retryAfter(retry))
		writeError(w, http.StatusTooManyRequests, "rate_limited", "rate limit of requests per minute exceeded")
		return
	}
	handler(w, r, acct)
}

// InjectFault makes the next matching requests fail as f describes, before
// authentication and without counting against the rate limit. Faulted
// requests are still recorded.
func (s *Server) InjectFault(f fault.Fault) { s.faults.Inject(f) }

// ClearFault removes the injected fault and releases requests it hangs.
func (s *Server) ClearFault() { s.faults.Clear() }

// relabelLines gives the tracking lines the campaigns of the examples
// (withExamples renames and renumbers campaigns in place, so before[i] is
// after[i]): a live account's new calls then carry the same company ids and
// campaign names as its history.
func relabelLines(lines []line, before, after []Campaign) []line {
	renamed := make(map[string]Campaign, len(before))
	for i := range before {
		if i < len(after) {
			renamed[before[i].ID] = after[i]
		}
	}
	out := make([]line, len(lines))
	for i, l := range lines {
		if c, ok := renamed[l.campaign.ID]; ok {
			l.campaign = c
		}
		out[i] = l
	}
	return out
}
