package callwidget

import (
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/sandbox/callwidgetsim"
	"switchboard/internal/sandbox/fault"
)

// newSimClient starts the CallWidget simulator and a client logged into it.
func newSimClient(t *testing.T, timeout time.Duration) (*Client, *callwidgetsim.Server) {
	t.Helper()
	sim, err := callwidgetsim.New(callwidgetsim.Config{Users: []callwidgetsim.User{
		{Email: "ops@acme.example", Password: "pw-canary", Seed: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL + "/api/v1", Email: "ops@acme.example", Password: "pw-canary", Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return c, sim
}

func actionCount(sim *callwidgetsim.Server, path string) int {
	n := 0
	for _, r := range sim.Requests() {
		if r.Path == "/api/v1"+path {
			n++
		}
	}
	return n
}

func installOf(t *testing.T, sim *callwidgetsim.Server) string {
	t.Helper()
	d, _ := sim.Dataset("ops@acme.example")
	return d.Installs[0].Number
}

func TestActCreatesAContactAndNormalizesTheAnswer(t *testing.T) {
	c, sim := newSimClient(t, 2*time.Second)
	body := []byte(`{"phone":"+17862455063","install":"` + installOf(t, sim) + `","first_name":"Test","last_name":"User","bday":"1990-06-02"}`)
	res, _, err := c.Act(context.Background(), ActionNewContact, body)
	if err != nil {
		t.Fatalf("Act: %v", err)
	}
	checks := []struct {
		name      string
		got, want string
	}{
		{"source", string(res.Source), "callwidget"},
		{"contact phone", deref(res.Contact.Phone), "+17862455063"},
		{"birthday from bday", deref(res.Contact.Birthday), "1990-06-02"},
		{"note", deref(res.Contact.Note), "Test User"},
		{"install phone", deref(res.Install.Phone), installOf(t, sim)},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	if res.CreatedAt == nil || res.CreatedAt.Nanosecond() != 0 || res.CreatedAt.Location() != time.UTC {
		t.Errorf("created_at: got %v, want a UTC time to the second", res.CreatedAt)
	}
	if got := len(sim.Actions()); got != 1 {
		t.Errorf("actions recorded: got %d, want 1", got)
	}
}

func TestActFailuresNeverSendTwice(t *testing.T) {
	tests := []struct {
		name         string
		fault        fault.Fault
		code         domain.Code
		notRetriable bool
		sent         int
	}{
		{"a hang past the timeout is a not-retriable upstream-timeout", fault.Fault{Kind: fault.KindHang}, domain.CodeUpstreamTimeout, true, 1},
		{"a reset connection is a not-retriable upstream-error", fault.Fault{Kind: fault.KindReset}, domain.CodeUpstreamError, true, 1},
		{"a 500 is an upstream-error sent once", fault.Fault{Status: 500}, domain.CodeUpstreamError, false, 1},
		{"a truncated 2xx answer is not retriable", fault.Fault{Kind: fault.KindTruncated}, domain.CodeUpstreamError, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, sim := newSimClient(t, 300*time.Millisecond)
			if _, _, err := c.Tags(context.Background()); err != nil { // log in first
				t.Fatal(err)
			}
			f := tt.fault
			f.PathPrefix = "/share/new-sms"
			sim.InjectFault(f)
			defer sim.ClearFault()
			_, _, err := c.Act(context.Background(), ActionNewSMS, []byte(`{"phone":"+17862455063","install":"+1","message":"hi"}`))
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("error: got %v, want a *domain.Error", err)
			}
			if de.Code != tt.code || de.NotRetriable != tt.notRetriable {
				t.Errorf("got code %s notRetriable %v, want %s %v", de.Code, de.NotRetriable, tt.code, tt.notRetriable)
			}
			if got := actionCount(sim, "/share/new-sms"); got != tt.sent {
				t.Errorf("requests that reached the upstream: got %d, want %d", got, tt.sent)
			}
			if errors.Is(err, domain.ErrNotSent) {
				t.Errorf("got an error marked ErrNotSent for a request the upstream received: %v", err)
			}
		})
	}
}

func TestActAfterRevokedTokenLogsInAgainAndActsOnce(t *testing.T) {
	c, sim := newSimClient(t, 2*time.Second)
	if _, _, err := c.Tags(context.Background()); err != nil {
		t.Fatal(err)
	}
	sim.RevokeAccessTokens("ops@acme.example")
	body := []byte(`{"phone":"+17862455063","install":"` + installOf(t, sim) + `"}`)
	if _, _, err := c.Act(context.Background(), ActionNewCall, body); err != nil {
		t.Fatalf("Act: %v", err)
	}
	if got := len(sim.Actions()); got != 1 {
		t.Errorf("actions performed: got %d, want 1", got)
	}
}

func TestActOnARefusedConnectionIsRetriableUnavailable(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	c, err := New(Config{BaseURL: "http://" + addr + "/api/v1", Email: "a@b.example", Password: "x"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Act(context.Background(), ActionNewContact, []byte(`{}`))
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeUpstreamUnavailable || de.NotRetriable {
		t.Fatalf("got %v, want a retriable upstream-unavailable", err)
	}
	if !errors.Is(err, domain.ErrNotSent) {
		t.Errorf("got %v, want it marked ErrNotSent: the upstream never received it", err)
	}
}

func TestActWithoutATokenIsNeverSentAndSaysSo(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault fault.Fault
		code  domain.Code
	}{
		{"a login answered 503 leaves the action unsent", fault.Fault{Status: 503, PathPrefix: "/api-login"}, domain.CodeUpstreamUnavailable},
		{"a login answered 500 leaves the action unsent", fault.Fault{Status: 500, PathPrefix: "/api-login"}, domain.CodeUpstreamError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, sim := newSimClient(t, 300*time.Millisecond)
			sim.InjectFault(tt.fault)
			_, _, err := c.Act(context.Background(), ActionNewSMS, []byte(`{"phone":"+17862455063","install":"+1","message":"hi"}`))
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != tt.code || de.NotRetriable {
				t.Fatalf("got %v, want a retriable %s", err, tt.code)
			}
			if !errors.Is(err, domain.ErrNotSent) {
				t.Errorf("got %v, want it marked ErrNotSent: the action never left", err)
			}
			if got := actionCount(sim, "/share/new-sms"); got != 0 {
				t.Errorf("actions that reached the upstream: got %d, want 0", got)
			}
			if got := actionCount(sim, "/api-login"); got != 1 {
				t.Errorf("logins: got %d, want 1 (a failed login is not tried again for the action)", got)
			}
		})
	}
}
