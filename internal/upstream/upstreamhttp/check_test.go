package upstreamhttp

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/internal/domain"
)

func response(status int, header http.Header, body string) *http.Response {
	u, _ := url.Parse("https://api.example.com/calls?client_secret=hunter2&page_size=1")
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{
		StatusCode: status,
		Header:     header,
		Body:       io.NopCloser(strings.NewReader(body)),
		Request:    &http.Request{Method: http.MethodGet, URL: u},
	}
}

func TestCheckResponse(t *testing.T) {
	now := time.Date(2019, 12, 2, 21, 33, 36, 0, time.UTC)
	retry := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	tests := []struct {
		name      string
		status    int
		header    http.Header
		wantCode  domain.Code
		wantRetry time.Duration
	}{
		{"401 means the credentials were rejected", 401, nil, domain.CodeUpstreamAuthFailed, 0},
		{"403 means the credentials were rejected", 403, nil, domain.CodeUpstreamAuthFailed, 0},
		{"429 is rate limited for the seconds asked", 429, retry("12"), domain.CodeUpstreamRateLimited, 12 * time.Second},
		{"429 is rate limited until the date asked", 429, retry("Mon, 02 Dec 2019 21:35:36 GMT"), domain.CodeUpstreamRateLimited, 2 * time.Minute},
		{"429 without Retry-After waits the default", 429, nil, domain.CodeUpstreamRateLimited, DefaultRateLimitedRetry},
		{"429 with Retry-After 0 still waits a second", 429, retry("0"), domain.CodeUpstreamRateLimited, time.Second},
		{"503 is unavailable for the seconds asked", 503, retry("5"), domain.CodeUpstreamUnavailable, 5 * time.Second},
		{"503 without Retry-After waits the default", 503, nil, domain.CodeUpstreamUnavailable, DefaultUnavailableRetry},
		{"500 is an upstream error", 500, nil, domain.CodeUpstreamError, 0},
		{"a redirect is an upstream error", 302, nil, domain.CodeUpstreamError, 0},
		{"404 is an upstream error", 404, nil, domain.CodeUpstreamError, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckResponse(response(tt.status, tt.header, `{"error":"nope"}`), "Acme", now)
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("got %v, want a *domain.Error", err)
			}
			if de.Code != tt.wantCode || de.RetryAfter != tt.wantRetry {
				t.Errorf("got %s retry %v, want %s retry %v", de.Code, de.RetryAfter, tt.wantCode, tt.wantRetry)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q leaks a secret query value", err)
			}
			var se *StatusError
			if !errors.As(err, &se) || se.StatusCode != tt.status || se.Body != `{"error":"nope"}` {
				t.Errorf("got cause %#v, want a StatusError with status %d and the body", se, tt.status)
			}
		})
	}
}

func TestCheckResponseAcceptsEvery2xx(t *testing.T) {
	for _, status := range []int{200, 201, 204, 299} {
		if err := CheckResponse(response(status, nil, ""), "Acme", time.Now()); err != nil {
			t.Errorf("status %d: got %v, want nil", status, err)
		}
	}
}

func TestCheckResponseCapsTheBodyItReadsAndKeeps(t *testing.T) {
	body := strings.NewReader(strings.Repeat("x", 10*ErrorBodyLimit))
	r := response(500, nil, "")
	r.Body = io.NopCloser(body)
	err := CheckResponse(r, "Acme", time.Now())
	if read := 10*ErrorBodyLimit - body.Len(); read != ErrorBodyLimit {
		t.Errorf("read %d bytes of the body, want %d", read, ErrorBodyLimit)
	}
	var se *StatusError
	if !errors.As(err, &se) || len(se.Body) != LoggedBodyLimit+len("…") {
		t.Fatalf("kept a body of %d bytes, want %d and a trailing …", len(se.Body), LoggedBodyLimit)
	}
}

func TestTransportError(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	refused := &url.Error{Op: "Get", URL: "https://id:pw@api.example.com/x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	tests := []struct {
		name         string
		ctx          context.Context
		err          error
		wantCode     domain.Code
		wantCanceled bool
	}{
		{"a canceled caller gets its own context error", canceled, errors.New("boom"), "", true},
		{"a passed deadline is a timeout", context.Background(), context.DeadlineExceeded, domain.CodeUpstreamTimeout, false},
		{"a network timeout is a timeout", context.Background(), &net.OpError{Op: "read", Err: timeoutErr{}}, domain.CodeUpstreamTimeout, false},
		{"a refused connection is unavailable", context.Background(), refused, domain.CodeUpstreamUnavailable, false},
		{"a DNS failure is unavailable", context.Background(), &net.DNSError{Err: "no such host", Name: "x"}, domain.CodeUpstreamUnavailable, false},
		{"a reset connection is an upstream error", context.Background(), errors.New("connection reset by peer"), domain.CodeUpstreamError, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := TransportError(tt.ctx, "Acme", tt.err)
			if got := errors.Is(err, context.Canceled); got != tt.wantCanceled {
				t.Errorf("errors.Is(err, context.Canceled) = %v, want %v", got, tt.wantCanceled)
			}
			if tt.wantCanceled {
				return
			}
			if got := domain.ErrorCode(err); got != tt.wantCode {
				t.Errorf("got code %s, want %s", got, tt.wantCode)
			}
			if strings.Contains(err.Error(), "pw@") {
				t.Errorf("error %q leaks user info", err)
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }
