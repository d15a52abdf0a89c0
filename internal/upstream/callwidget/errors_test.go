package callwidget

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/upstream/upstreamhttp"
)

func TestUpstreamAnswersMapToProblemCodes(t *testing.T) {
	clock := newFakeClock()
	reply := func(status int, header, value, body string) func(http.ResponseWriter, *http.Request, int) {
		return func(w http.ResponseWriter, _ *http.Request, _ int) {
			if header != "" {
				w.Header().Set(header, value)
			}
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		}
	}
	tests := []struct {
		name           string
		share          func(http.ResponseWriter, *http.Request, int)
		wantCode       domain.Code
		wantRetryAfter time.Duration
	}{
		{name: "429 with Retry-After seconds is rate limited for that long",
			share: reply(429, "Retry-After", "120", ""), wantCode: domain.CodeUpstreamRateLimited, wantRetryAfter: 120 * time.Second},
		{name: "429 with a Retry-After date is rate limited until then",
			share:    reply(429, "Retry-After", clock.Now().Add(90*time.Second).Format(http.TimeFormat), ""),
			wantCode: domain.CodeUpstreamRateLimited, wantRetryAfter: 90 * time.Second},
		{name: "429 without Retry-After is rate limited for a minute",
			share: reply(429, "", "", ""), wantCode: domain.CodeUpstreamRateLimited, wantRetryAfter: time.Minute},
		{name: "503 with Retry-After is unavailable for that long",
			share: reply(503, "Retry-After", "45", ""), wantCode: domain.CodeUpstreamUnavailable, wantRetryAfter: 45 * time.Second},
		{name: "503 without Retry-After is unavailable for the default",
			share: reply(503, "", "", ""), wantCode: domain.CodeUpstreamUnavailable, wantRetryAfter: upstreamhttp.DefaultUnavailableRetry},
		{name: "500 is an upstream error", share: reply(500, "", "", "boom"), wantCode: domain.CodeUpstreamError},
		{name: "502 is an upstream error", share: reply(502, "", "", ""), wantCode: domain.CodeUpstreamError},
		{name: "404 is an upstream error", share: reply(404, "", "", ""), wantCode: domain.CodeUpstreamError},
		{name: "403 is an auth failure", share: reply(403, "", "", ""), wantCode: domain.CodeUpstreamAuthFailed},
		{name: "malformed JSON is an upstream error", share: reply(200, "", "", "[{"), wantCode: domain.CodeUpstreamError},
		{name: "an answer over 1 MiB is an upstream error",
			share: reply(200, "", "", "["+strings.Repeat(" ", smallBodyLimit)+"]"), wantCode: domain.CodeUpstreamError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeUpstream(t)
			f.set(func(f *fakeUpstream) { f.share = tt.share })
			c := newTestClient(t, f, clock, nil)

			_, _, err := c.Tags(context.Background())
			de := assertCode(t, err, tt.wantCode)
			if de.RetryAfter != tt.wantRetryAfter {
				t.Fatalf("got RetryAfter %v, want %v", de.RetryAfter, tt.wantRetryAfter)
			}
			if _, _, shares := f.counts(); shares != 1 {
				t.Fatalf("got %d requests, want 1: only a 401 is retried", shares)
			}
		})
	}
}

func TestTokenEndpointFailuresMapToProblemCodes(t *testing.T) {
	tests := []struct {
		name        string
		loginStatus int
		wantCode    domain.Code
	}{
		{name: "a login answered 500 is an upstream error", loginStatus: 500, wantCode: domain.CodeUpstreamError},
		{name: "a login answered 503 is unavailable", loginStatus: 503, wantCode: domain.CodeUpstreamUnavailable},
		{name: "a login answered 429 is rate limited", loginStatus: 429, wantCode: domain.CodeUpstreamRateLimited},
		{name: "a login answered 401 is an auth failure", loginStatus: 401, wantCode: domain.CodeUpstreamAuthFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeUpstream(t)
			f.set(func(f *fakeUpstream) { f.loginStatus = tt.loginStatus })
			c := newTestClient(t, f, newFakeClock(), nil)

			_, _, err := c.Tags(context.Background())
			assertCode(t, err, tt.wantCode)
			if strings.Contains(err.Error(), testPassword) || strings.Contains(err.Error(), testEmail) {
				t.Fatalf("error %q names a credential, want none", err)
			}
		})
	}
}

func TestMalformedTokenAnswersAreUpstreamErrors(t *testing.T) {
	for name, body := range map[string]string{
		"an answer without access_token":    `{"token_type": "Bearer", "expires_in": 60}`,
		"an answer that is not JSON":        `<html>`,
		"an access_token of the wrong type": `{"access_token": 12}`,
	} {
		t.Run(name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.HandleFunc("POST /api/v1/api-login", func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, body)
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			c, err := New(Config{BaseURL: srv.URL + "/api/v1", Email: testEmail, Password: testPassword})
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = c.Tags(context.Background())
			assertCode(t, err, domain.CodeUpstreamError)
		})
	}
}

func TestARefusedRefreshTokenIsNotLogged(t *testing.T) {
	f := newFakeUpstream(t)
	clock := newFakeClock()
	c := newTestClient(t, f, clock, nil)
	mustTags(t, c)
	// The refresh fails with the refresh token echoed, then the login too.
	f.set(func(f *fakeUpstream) { f.refreshStatus, f.loginStatus = 500, 500 })
	clock.Advance(2 * time.Hour)

	_, _, err := c.Tags(context.Background())
	assertCode(t, err, domain.CodeUpstreamError)
	if strings.Contains(err.Error(), "refresh-1") {
		t.Fatalf("error %q contains the refresh token, want it scrubbed", err)
	}
}

func TestTransportFailures(t *testing.T) {
	t.Run("an upstream that does not answer in time is a timeout", func(t *testing.T) {
		f := newFakeUpstream(t)
		c := newTestClient(t, f, newFakeClock(), nil)
		mustTags(t, c) // log in first, with the default timeout
		f.set(func(f *fakeUpstream) {
			f.share = func(_ http.ResponseWriter, r *http.Request, _ int) { <-r.Context().Done() }
		})
		c.timeout = 50 * time.Millisecond

		_, _, err := c.Tags(context.Background())
		assertCode(t, err, domain.CodeUpstreamTimeout)
	})

	t.Run("a refused connection is unavailable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		base := srv.URL + "/api/v1"
		srv.Close()
		c, err := New(Config{BaseURL: base, Email: testEmail, Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.Tags(context.Background())
		assertCode(t, err, domain.CodeUpstreamUnavailable)
	})

	t.Run("a caller that gives up gets its context's error", func(t *testing.T) {
		f := newFakeUpstream(t)
		arrived := make(chan struct{})
		f.set(func(f *fakeUpstream) {
			f.share = func(_ http.ResponseWriter, r *http.Request, _ int) {
				close(arrived)
				<-r.Context().Done()
			}
		})
		c := newTestClient(t, f, newFakeClock(), nil)
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-arrived; cancel() }()

		_, _, err := c.Tags(ctx)
		var de *domain.Error
		if !errors.Is(err, context.Canceled) || errors.As(err, &de) {
			t.Fatalf("got %v, want context.Canceled and no problem code", err)
		}
	})

	t.Run("a caller that gives up during the login gets its context's error", func(t *testing.T) {
		f := newFakeUpstream(t)
		gate := make(chan struct{})
		defer close(gate)
		f.set(func(f *fakeUpstream) { f.loginGate = gate })
		c := newTestClient(t, f, newFakeClock(), nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()

		if _, _, err := c.Tags(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	})
}
