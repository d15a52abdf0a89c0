package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/sandbox/callwidgetsim"
	"switchboard/internal/sandbox/phonewagonsim"
)

// e2eSecret is the HS256 key of gateways started by tests.
const e2eSecret = "e2e-secret-0123456789abcdef0123456789abcdef"

// upstreams is a pair of simulators with two accounts each: tenants acme and
// beta, with different data.
type upstreams struct {
	cw     *callwidgetsim.Server
	pw     *phonewagonsim.Server
	cwURL  string
	pwURL  string
	budget int // budget_per_minute of acme and beta; 0 = 50
}

func startUpstreams(t *testing.T) *upstreams {
	t.Helper()
	cw, err := callwidgetsim.New(callwidgetsim.Config{Users: []callwidgetsim.User{
		{Email: "ops@acme.example", Password: "acme-cw-password", Seed: 1},
		{Email: "ops@beta.example", Password: "beta-cw-password", Seed: 2},
	}})
	if err != nil {
		t.Fatal(err)
	}
	pw, err := phonewagonsim.New(phonewagonsim.Config{Accounts: []phonewagonsim.Account{
		{ClientID: "acme-client", ClientSecret: "acme-pw-secret", Seed: 1},
		{ClientID: "beta-client", ClientSecret: "beta-pw-secret", Seed: 2},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cwSrv, pwSrv := httptest.NewServer(cw), httptest.NewServer(pw)
	t.Cleanup(cwSrv.Close)
	t.Cleanup(pwSrv.Close)
	return &upstreams{cw: cw, pw: pw, cwURL: cwSrv.URL + "/api/v1", pwURL: pwSrv.URL}
}

// tenantsFile writes a tenants file for acme (both upstreams), beta (both)
// and solo (CallWidget only), secrets through ${VAR}s.
func (u *upstreams) tenantsFile(t *testing.T) (path string, env map[string]string) {
	t.Helper()
	budget := u.budget
	if budget == 0 {
		budget = 50
	}
	doc := fmt.Sprintf(`tenants:
  - id: acme
    callwidget: {base_url: %[1]s, email: ops@acme.example, password: "${ACME_CW}"}
    phonewagon: {base_url: %[2]s, client_id: acme-client, client_secret: "${ACME_PW}", budget_per_minute: %[3]d}
  - id: beta
    callwidget: {base_url: %[1]s, email: ops@beta.example, password: "${BETA_CW}"}
    phonewagon: {base_url: %[2]s, client_id: beta-client, client_secret: "${BETA_PW}", budget_per_minute: %[3]d}
  - id: solo
    callwidget: {base_url: %[1]s, email: ops@beta.example, password: "${BETA_CW}"}
`, u.cwURL, u.pwURL, budget)
	path = filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, map[string]string{
		"ACME_CW": "acme-cw-password", "ACME_PW": "acme-pw-secret",
		"BETA_CW": "beta-cw-password", "BETA_PW": "beta-pw-secret",
	}
}

// gateway is a running run() on 127.0.0.1:0.
type gateway struct {
	URL    string
	Stdout *lockedBuffer
	Logs   *lockedBuffer
	// Reloads is run's reload signal: what SIGHUP sends in the binary.
	Reloads chan os.Signal
	stop    context.CancelFunc
	done    chan error
}

type lockedBuffer struct {
	mu      sync.Mutex
	b       strings.Builder
	written chan struct{} // closed (and replaced) by each Write
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.written != nil {
		close(l.written)
		l.written = nil
	}
	return l.b.Write(p)
}

// waitFor waits until cond holds of what was written, or fails the test
// after timeout; it wakes on each write rather than polling.
func (l *lockedBuffer) waitFor(t *testing.T, timeout time.Duration, what string, cond func(string) bool) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		s := l.b.String()
		if l.written == nil {
			l.written = make(chan struct{})
		}
		ch := l.written
		l.mu.Unlock()
		if cond(s) {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%s: not seen within %v; written:\n%s", what, timeout, s)
		}
	}
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startGateway runs the whole program with env and waits until it listens.
func startGateway(t *testing.T, env map[string]string) *gateway {
	t.Helper()
	full := map[string]string{"SWITCHBOARD_ADDR": "127.0.0.1:0", "SWITCHBOARD_JWT_SECRET": e2eSecret}
	for k, v := range env {
		full[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &gateway{Stdout: &lockedBuffer{}, Logs: &lockedBuffer{}, Reloads: make(chan os.Signal, 1), stop: cancel, done: make(chan error, 1)}
	pr, pw := io.Pipe()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			g.Logs.Write([]byte(line + "\n"))
			var rec struct{ Msg, URL string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
				select {
				case urls <- rec.URL:
				default:
				}
			}
		}
	}()
	go func() {
		g.done <- run(ctx, func(k string) string { return full[k] }, g.Stdout, pw, g.Reloads)
		pw.Close()
	}()
	select {
	case g.URL = <-urls:
	case err := <-g.done:
		cancel()
		t.Fatalf("gateway exited before listening: %v\nlogs:\n%s", err, g.Logs)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatalf("gateway did not listen within 10s; logs:\n%s", g.Logs)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-g.done:
			if err != nil {
				t.Errorf("gateway exited with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("gateway did not stop within 30s")
		}
	})
	return g
}

// token mints a caller token for tenant with scopes.
func token(t *testing.T, tenant string, scopes ...auth.Scope) string {
	t.Helper()
	now := time.Now()
	tok, err := auth.SignHS256(domain.Secret(e2eSecret), auth.Claims{
		Subject: "e2e", Tenant: tenant, Audience: []string{"switchboard"}, Scopes: scopes,
		IssuedAt: now, ExpiresAt: now.Add(time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// get sends an authenticated GET and returns the response with its body read.
func (g *gateway) get(t *testing.T, path, bearer string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, g.URL+path, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", path, err)
	}
	return resp, body
}

// problem decodes a problem body and checks status, slug and content type.
func problem(t *testing.T, resp *http.Response, body []byte, status int, slug string) map[string]any {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status: got %d, want %d; body %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type: got %q, want application/problem+json", ct)
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body: %v", err)
	}
	if p["type"] != "/problems/"+slug {
		t.Fatalf("type: got %v, want /problems/%s (body %s)", p["type"], slug, body)
	}
	return p
}

// spyOnTokens puts a recorder in front of the CallWidget simulator that
// keeps every access and refresh token it issues; up.cwURL is repointed.
func spyOnTokens(t *testing.T, up *upstreams) (issued func() []string) {
	t.Helper()
	var mu sync.Mutex
	var tokens []string
	inner := up.cw
	spy := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		inner.ServeHTTP(rec, r)
		if strings.HasSuffix(r.URL.Path, "/api-login") || strings.HasSuffix(r.URL.Path, "/refresh-token") {
			var raw map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &raw)
			mu.Lock()
			for _, k := range []string{"access_token", "refresh_token"} {
				if v, _ := raw[k].(string); v != "" {
					tokens = append(tokens, v)
				}
			}
			mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
	srv := httptest.NewServer(spy)
	t.Cleanup(srv.Close)
	up.cwURL = srv.URL + "/api/v1"
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), tokens...)
	}
}
