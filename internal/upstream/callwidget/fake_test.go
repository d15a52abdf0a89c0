package callwidget

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/domain"
)

// The account the fake upstream knows.
const (
	testEmail    = "ops@acme.example"
	testPassword = "pa55-w0rd-Secret"
)

// fakeUpstream is a CallWidget API under /api/v1 that issues numbered
// tokens (access-1/refresh-1, ...), rotates refresh tokens like the real
// one, checks every request's method, headers and body, and counts what it
// received. Its knobs are changed with set.
type fakeUpstream struct {
	t   *testing.T
	srv *httptest.Server

	mu sync.Mutex // guards everything below

	// Knobs.
	expiresIn     any           // the expires_in sent; nil leaves it out
	loginStatus   int           // when set, logins are answered with it
	refreshStatus int           // when set, refreshes are answered with it
	loginGate     chan struct{} // when set, a login waits until it is closed
	lists         map[string]string
	// share, when set, answers authorized GET /share/... requests instead
	// of lists; n counts them from 1.
	share func(w http.ResponseWriter, r *http.Request, n int)

	serial    int
	access    map[string]bool // access tokens accepted
	refresh   map[string]bool // refresh tokens accepted
	logins    int
	refreshes int
	shareHits int
	unauth    int      // share requests refused with 401
	seen      []string // Authorization of each share request
	posted    []string // bodies of POST /share requests
}

func newFakeUpstream(t *testing.T) *fakeUpstream {
	t.Helper()
	f := &fakeUpstream{
		t:         t,
		expiresIn: 3600,
		lists: map[string]string{
			"installs":    `[{"id": 1, "name": "+17866275049", "label": "+17866275049"}]`,
			"departments": `[{"id": 1, "name": "Test Department", "label": "Test Department"}]`,
			"tags":        `[{"id": 1, "name": "VIP", "label": "VIP"}]`,
			"automations": `[{"id": 1, "name": "Keyword Automation", "label": "Keyword Automation"}]`,
		},
		access:  map[string]bool{},
		refresh: map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/api-login", f.handleLogin)
	mux.HandleFunc("POST /api/v1/refresh-token", f.handleRefresh)
	mux.HandleFunc("/api/v1/share/{name}", f.handleShare)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// set changes knobs (or seeds tokens) while no handler reads them.
func (f *fakeUpstream) set(change func(f *fakeUpstream)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// authorizations returns the Authorization header of each share request,
// and how many of them were refused with 401.
func (f *fakeUpstream) authorizations() (seen []string, refused int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...), f.unauth
}

// postedBodies returns the bodies of POST /share requests, in order.
func (f *fakeUpstream) postedBodies() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.posted...)
}

// baseURL is the API root to configure.
func (f *fakeUpstream) baseURL() string { return f.srv.URL + "/api/v1" }

// counts returns logins, refreshes and share requests so far.
func (f *fakeUpstream) counts() (logins, refreshes, shares int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins, f.refreshes, f.shareHits
}

// revokeAccess makes every access token issued so far invalid.
func (f *fakeUpstream) revokeAccess() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.access)
}

// issue answers with a new token pair.
func (f *fakeUpstream) issue(w http.ResponseWriter) {
	f.mu.Lock()
	f.serial++
	n := f.serial
	f.access[fmt.Sprintf("access-%d", n)] = true
	f.refresh[fmt.Sprintf("refresh-%d", n)] = true
	expiresIn := f.expiresIn
	f.mu.Unlock()

	answer := map[string]any{
		"token_type":    "Bearer",
		"access_token":  fmt.Sprintf("access-%d", n),
		"refresh_token": fmt.Sprintf("refresh-%d", n),
	}
	if expiresIn != nil {
		answer["expires_in"] = expiresIn
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(answer)
}

func (f *fakeUpstream) handleLogin(w http.ResponseWriter, r *http.Request) {
	f.checkJSONPost(r)
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		f.t.Errorf("login body: %v", err)
	}
	want := map[string]any{"email": testEmail, "password": testPassword}
	if fmt.Sprint(body) != fmt.Sprint(want) {
		f.t.Errorf("login body: got other fields or values than email and password, want exactly those")
	}
	f.mu.Lock()
	f.logins++
	gate, status := f.loginGate, f.loginStatus
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if status != 0 {
		// Like many servers, echo what was sent: the client must not
		// carry it into an error.
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `{"message":"invalid login for %s with %s"}`, testEmail, testPassword)
		return
	}
	f.issue(w)
}

func (f *fakeUpstream) handleRefresh(w http.ResponseWriter, r *http.Request) {
	f.checkJSONPost(r)
	var body struct {
		RefreshToken string `json:"refresh_token"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		f.t.Errorf("refresh body: %v", err)
	}
	f.mu.Lock()
	f.refreshes++
	known := f.refresh[body.RefreshToken]
	status := f.refreshStatus
	if status == 0 {
		delete(f.refresh, body.RefreshToken) // rotation: single use
	}
	f.mu.Unlock()
	switch {
	case status != 0:
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `{"message":"bad refresh token %s"}`, body.RefreshToken)
	case !known:
		http.Error(w, `{"message":"unknown refresh token"}`, http.StatusUnauthorized)
	default:
		f.issue(w)
	}
}

func (f *fakeUpstream) handleShare(w http.ResponseWriter, r *http.Request) {
	if got := r.Header.Get("Accept"); got != "application/json" {
		f.t.Errorf("Accept = %q, want application/json", got)
	}
	auth := r.Header.Get("Authorization")
	f.mu.Lock()
	f.shareHits++
	n := f.shareHits
	f.seen = append(f.seen, auth)
	ok := strings.HasPrefix(auth, "Bearer ") && f.access[strings.TrimPrefix(auth, "Bearer ")]
	if !ok {
		f.unauth++
	}
	if r.Method == http.MethodPost {
		b, _ := io.ReadAll(r.Body)
		f.posted = append(f.posted, string(b))
	}
	share := f.share
	body, found := f.lists[r.PathValue("name")]
	f.mu.Unlock()
	if !ok {
		http.Error(w, `{"message":"Unauthenticated."}`, http.StatusUnauthorized)
		return
	}
	if share != nil {
		share(w, r, n)
		return
	}
	if r.Method != http.MethodGet {
		f.t.Errorf("method = %s, want GET", r.Method)
	}
	if !found {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, body)
}

func (f *fakeUpstream) checkJSONPost(r *http.Request) {
	if got := r.Header.Get("Content-Type"); got != "application/json" {
		f.t.Errorf("%s: Content-Type = %q, want application/json", r.URL.Path, got)
	}
	if got := r.Header.Get("Accept"); got != "application/json" {
		f.t.Errorf("%s: Accept = %q, want application/json", r.URL.Path, got)
	}
	if got := r.Header.Get("Authorization"); got != "" {
		f.t.Errorf("%s: sent an Authorization header, want none", r.URL.Path)
	}
}

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newTestClient returns a client of f's account; edit adjusts the config.
func newTestClient(t *testing.T, f *fakeUpstream, clock *fakeClock, edit func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		BaseURL:  f.baseURL(),
		Email:    testEmail,
		Password: testPassword,
		Now:      clock.Now,
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// mustTags lists tags and fails the test on error.
func mustTags(t *testing.T, c *Client) {
	t.Helper()
	if _, _, err := c.Tags(context.Background()); err != nil {
		t.Fatalf("Tags: %v", err)
	}
}

// assertCode checks that err carries a *domain.Error with code want.
func assertCode(t *testing.T, err error, want domain.Code) *domain.Error {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("got error %v, want a *domain.Error %s", err, want)
	}
	if de.Code != want {
		t.Fatalf("got code %s (%v), want %s", de.Code, err, want)
	}
	return de
}

// failingStore is a TokenStore whose every method fails, like Redis down.
type failingStore struct{}

var errStoreDown = errors.New("store down")

func (failingStore) Get(context.Context, string) (domain.Secret, int64, error) {
	return "", 0, errStoreDown
}

func (failingStore) CompareAndSwap(context.Context, string, int64, domain.Secret) (int64, bool, error) {
	return 0, false, errStoreDown
}

func (failingStore) Delete(context.Context, string, int64) error { return errStoreDown }

func (failingStore) Lock(context.Context, string, time.Duration) (func(), error) {
	return nil, errStoreDown
}
