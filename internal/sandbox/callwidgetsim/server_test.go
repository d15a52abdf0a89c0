package callwidgetsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"switchboard/internal/sandbox/callwidgetsim"
	"switchboard/internal/sandbox/fault"
)

func TestUnknownPathsAndWrongMethods(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.login(t, aliceEmail, alicePass)
	tests := []struct {
		name      string
		method    string
		path      string
		want      int
		wantAllow string
	}{
		{"an unknown path is not found", http.MethodGet, "/api/v1/share/contacts", http.StatusNotFound, ""},
		{"an unknown action is not found", http.MethodPost, "/api/v1/share/new-fax", http.StatusNotFound, ""},
		{"a route outside the base path is not found", http.MethodGet, "/share/installs", http.StatusNotFound, ""},
		{"a GET of an action is not allowed", http.MethodGet, "/api/v1/share/new-sms", http.StatusMethodNotAllowed, http.MethodPost},
		{"a POST to a lookup is not allowed", http.MethodPost, "/api/v1/share/tags", http.StatusMethodNotAllowed, http.MethodGet},
		{"a GET of the login is not allowed", http.MethodGet, "/api/v1/api-login", http.StatusMethodNotAllowed, http.MethodPost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, f.srv.URL+tt.path, nil)
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("got error %v, want a response", err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.want || resp.Header.Get("Allow") != tt.wantAllow {
				t.Fatalf("got %d Allow %q, want %d Allow %q", resp.StatusCode, resp.Header.Get("Allow"), tt.want, tt.wantAllow)
			}
			if !json.Valid(body) {
				t.Errorf("got body %q, want JSON", body)
			}
		})
	}
}

func TestInjectedFaultsAreObservableFromAClient(t *testing.T) {
	tests := []struct {
		name  string
		fault fault.Fault
		check func(t *testing.T, resp response, err error)
	}{
		{"a 503 fault answers 503 with Retry-After", fault.Fault{Status: 503, RetryAfter: 3 * time.Second},
			func(t *testing.T, resp response, err error) {
				if err != nil || resp.status != 503 || resp.header.Get("Retry-After") != "3" {
					t.Fatalf("got %d Retry-After %q err %v, want 503 with 3", resp.status, resp.header.Get("Retry-After"), err)
				}
			}},
		{"a 500 fault answers 500", fault.Fault{Status: 500},
			func(t *testing.T, resp response, err error) {
				if err != nil || resp.status != 500 {
					t.Fatalf("got %d err %v, want 500", resp.status, err)
				}
			}},
		{"a reset fault fails the request", fault.Fault{Kind: fault.KindReset},
			func(t *testing.T, resp response, err error) {
				if err == nil {
					t.Fatalf("got %d, want a transport error", resp.status)
				}
			}},
		{"a malformed JSON fault answers a body that does not parse", fault.Fault{Kind: fault.KindMalformedJSON},
			func(t *testing.T, resp response, err error) {
				if err != nil || resp.status != 200 || json.Valid(resp.body) {
					t.Fatalf("got %d %q err %v, want 200 with invalid JSON", resp.status, resp.body, err)
				}
			}},
		{"a truncated fault ends the body early", fault.Fault{Kind: fault.KindTruncated},
			func(t *testing.T, _ response, err error) {
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("got err %v, want io.ErrUnexpectedEOF", err)
				}
			}},
		{"an unexpected shape fault answers an object instead of an array", fault.Fault{Kind: fault.KindUnexpectedShape},
			func(t *testing.T, resp response, err error) {
				if err != nil || resp.status != 200 || string(resp.body) != `{"unexpected":true}` {
					t.Fatalf("got %d %q err %v, want 200 {\"unexpected\":true}", resp.status, resp.body, err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			tok := f.login(t, aliceEmail, alicePass)
			f.sim.InjectFault(tt.fault)
			resp, err := f.do(context.Background(), http.MethodGet, "/share/installs", tok.AccessToken, "")
			tt.check(t, resp, err)
			if got := f.sim.RequestCount(); got != 2 {
				t.Errorf("got %d requests recorded, want 2 (login and the faulted one)", got)
			}
		})
	}
}

func TestFaultsCanTargetPathsBelowTheBase(t *testing.T) {
	f := newFixture(t, nil)
	f.sim.InjectFault(fault.Fault{Status: 503, PathPrefix: "/share/", Times: 1})
	tok := f.login(t, aliceEmail, alicePass) // not under /share/: unaffected
	if got := f.mustDo(t, http.MethodGet, "/share/tags", tok.AccessToken, "").status; got != 503 {
		t.Errorf("got %d, want the injected 503", got)
	}
	if got := f.mustDo(t, http.MethodGet, "/share/tags", tok.AccessToken, "").status; got != 200 {
		t.Errorf("got %d after the fault's one request, want 200", got)
	}
	f.sim.InjectFault(fault.Fault{Status: 500, PathPrefix: "/api/v1/api-login"})
	if got := f.mustDo(t, http.MethodPost, "/api-login", "", `{}`).status; got != 500 {
		t.Errorf("got %d, want the injected 500 on the full path", got)
	}
	if got := f.sim.Logins(); got != 1 {
		t.Errorf("got %d logins, want 1: faulted attempts are not counted", got)
	}
	f.sim.ClearFault()
	if got := f.mustDo(t, http.MethodGet, "/share/tags", tok.AccessToken, "").status; got != 200 {
		t.Errorf("after ClearFault: got %d, want 200", got)
	}
}

func TestHangFaultLastsUntilTheClientGivesUp(t *testing.T) {
	f := newFixture(t, nil)
	f.sim.InjectFault(fault.Fault{Kind: fault.KindHang})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := f.do(ctx, http.MethodPost, "/api-login", "", `{}`); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got err %v, want context.DeadlineExceeded", err)
	}
}

func TestLatencyDelaysEveryResponse(t *testing.T) {
	const latency = 30 * time.Millisecond
	f := newFixture(t, func(c *callwidgetsim.Config) { c.Latency = latency })
	t.Run("a response takes at least the latency", func(t *testing.T) {
		start := time.Now()
		f.login(t, aliceEmail, alicePass)
		if got := time.Since(start); got < latency {
			t.Errorf("got a response after %s, want at least %s", got, latency)
		}
	})
	t.Run("a client that gives up first gets no response", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		if _, err := f.do(ctx, http.MethodPost, "/api-login", "", `{}`); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("got err %v, want context.DeadlineExceeded", err)
		}
	})
}

func TestConcurrentUseIsSafe(t *testing.T) {
	f := newFixture(t, nil)
	install := f.dataset(t, aliceEmail).Installs[0].Number
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			resp, err := f.do(context.Background(), http.MethodPost, "/api-login", "", `{"email":"`+aliceEmail+`","password":"`+alicePass+`"}`)
			if err != nil || resp.status != http.StatusOK {
				t.Errorf("login: got %d err %v, want 200", resp.status, err)
				return
			}
			var tok tokens
			_ = json.Unmarshal(resp.body, &tok)
			_, _ = f.do(context.Background(), http.MethodPost, "/share/new-call", tok.AccessToken, `{"phone":"+17862455063","install":"`+install+`"}`)
			_, _ = f.do(context.Background(), http.MethodPost, "/refresh-token", "", `{"refresh_token":"`+tok.RefreshToken+`"}`)
			f.sim.RevokeAccessTokens(bobEmail) // another user: alice's tokens stay valid
			_ = f.sim.Actions()
		})
	}
	wg.Wait()
	if f.sim.Logins() != 6 || f.sim.Refreshes() != 6 || len(f.sim.Actions()) != 6 {
		t.Errorf("got %d logins, %d refreshes, %d actions; want 6 of each", f.sim.Logins(), f.sim.Refreshes(), len(f.sim.Actions()))
	}
}
