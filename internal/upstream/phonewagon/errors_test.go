package phonewagon

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/internal/domain"
)

func TestUpstreamAnswersMapToDomainErrors(t *testing.T) {
	now := time.Date(2019, 12, 2, 21, 33, 36, 0, time.UTC)
	tests := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		wantCode  domain.Code
		wantRetry time.Duration
		wantPause bool
	}{
		{name: "401 is an auth failure", status: 401, body: `{"error":"bad credentials"}`, wantCode: domain.CodeUpstreamAuthFailed},
		{name: "403 is an auth failure", status: 403, wantCode: domain.CodeUpstreamAuthFailed},
		{name: "429 with Retry-After seconds is rate limited and pauses the budget", status: 429,
			header: map[string]string{"Retry-After": "17"}, wantCode: domain.CodeUpstreamRateLimited, wantRetry: 17 * time.Second, wantPause: true},
		{name: "429 with a Retry-After date is rate limited until then", status: 429,
			header: map[string]string{"Retry-After": "Mon, 02 Dec 2019 21:35:06 GMT"}, wantCode: domain.CodeUpstreamRateLimited, wantRetry: 90 * time.Second, wantPause: true},
		{name: "429 without Retry-After waits a minute", status: 429, wantCode: domain.CodeUpstreamRateLimited, wantRetry: time.Minute, wantPause: true},
		{name: "503 with Retry-After is unavailable for that long", status: 503,
			header: map[string]string{"Retry-After": "5"}, wantCode: domain.CodeUpstreamUnavailable, wantRetry: 5 * time.Second},
		{name: "503 without Retry-After is unavailable for 30 seconds", status: 503, wantCode: domain.CodeUpstreamUnavailable, wantRetry: 30 * time.Second},
		{name: "500 is an upstream error", status: 500, body: "oops", wantCode: domain.CodeUpstreamError},
		{name: "404 is an upstream error", status: 404, wantCode: domain.CodeUpstreamError},
		{name: "the doc sample's comma typos are malformed JSON", status: 200,
			body: `{"calls":[{"gclid": "" "id": 6315, "utm_term": "",}]}`, wantCode: domain.CodeUpstreamError},
		{name: "trailing data after the JSON is malformed", status: 200, body: `{"calls":[]} {}`, wantCode: domain.CodeUpstreamError},
		{name: "an HTML page is malformed", status: 200, body: `<html>maintenance</html>`, wantCode: domain.CodeUpstreamError},
		{name: "an empty body is malformed", status: 200, wantCode: domain.CodeUpstreamError},
		{name: "a missing top-level key is an upstream error", status: 200, body: `{"companies":[]}`, wantCode: domain.CodeUpstreamError},
		{name: "a top-level array is an upstream error", status: 200, body: `[]`, wantCode: domain.CodeUpstreamError},
		{name: "calls that are not a list are an upstream error", status: 200, body: `{"calls":{"id":1}}`, wantCode: domain.CodeUpstreamError},
		{name: "a non-numeric duration is an upstream error", status: 200, body: `{"calls":[{"id":1,"duration":"long"}]}`, wantCode: domain.CodeUpstreamError},
		{name: "a start time past year 9999 is an upstream error", status: 200, body: `{"calls":[{"id":1,"start_time":9999999999999999}]}`, wantCode: domain.CodeUpstreamError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			budget := &fakeBudget{}
			f := setup(t, func(c *Config) {
				c.Budget = budget
				c.Now = func() time.Time { return now }
			})
			f.mux.HandleFunc("/calls", func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})

			_, resp, err := f.client.Calls(context.Background(), domain.CallsQuery{})
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("got %v, want a *domain.Error", err)
			}
			if de.Code != tt.wantCode || de.RetryAfter != tt.wantRetry {
				t.Errorf("got %s retry %v, want %s retry %v", de.Code, de.RetryAfter, tt.wantCode, tt.wantRetry)
			}
			if resp == nil || resp.StatusCode != tt.status || resp.RetryAfter != tt.wantRetry {
				t.Errorf("got response %+v, want status %d retry %v", resp, tt.status, tt.wantRetry)
			}
			if !strings.HasPrefix(err.Error(), "phonewagon: list calls: ") {
				t.Errorf("got %q, want the operation prefix", err)
			}
			checkNoSecret(t, err)
			_, pauses := budget.counts()
			if tt.wantPause && (len(pauses) != 1 || pauses[0] != tt.wantRetry) {
				t.Errorf("got pauses %v, want one of %v", pauses, tt.wantRetry)
			}
			if !tt.wantPause && len(pauses) != 0 {
				t.Errorf("got pauses %v, want none", pauses)
			}
		})
	}
}

func TestOversizedBodiesAreAnUpstreamError(t *testing.T) {
	f := setup(t, nil)
	f.mux.HandleFunc("/companies", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"companies":[{"id":1,"name":"` + strings.Repeat("x", smallBodyLimit) + `"}]}`))
	})
	_, _, err := f.client.Companies(context.Background())
	if got := domain.ErrorCode(err); got != domain.CodeUpstreamError {
		t.Errorf("got code %s, want %s", got, domain.CodeUpstreamError)
	}
}

func TestAHangingUpstreamTimesOut(t *testing.T) {
	release := make(chan struct{})
	f := setup(t, func(c *Config) { c.Timeout = 50 * time.Millisecond })
	t.Cleanup(func() { close(release) }) // runs before the server closes
	f.mux.HandleFunc("/companies", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})

	_, _, err := f.client.Companies(context.Background())
	if got := domain.ErrorCode(err); got != domain.CodeUpstreamTimeout {
		t.Errorf("got code %s (%v), want %s", got, err, domain.CodeUpstreamTimeout)
	}
}

func TestAnUpstreamThatStallsMidBodyTimesOut(t *testing.T) {
	release := make(chan struct{})
	f := setup(t, func(c *Config) { c.Timeout = 50 * time.Millisecond })
	t.Cleanup(func() { close(release) })
	f.mux.HandleFunc("/companies", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"companies":[`))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})

	_, _, err := f.client.Companies(context.Background())
	if got := domain.ErrorCode(err); got != domain.CodeUpstreamTimeout {
		t.Errorf("got code %s (%v), want %s", got, err, domain.CodeUpstreamTimeout)
	}
}

func TestARefusedConnectionIsUnavailable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	c, err := New(Config{BaseURL: "http://" + addr, ClientID: testClientID, ClientSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}

	_, resp, err := c.Companies(context.Background())
	if got := domain.ErrorCode(err); got != domain.CodeUpstreamUnavailable {
		t.Errorf("got code %s (%v), want %s", got, err, domain.CodeUpstreamUnavailable)
	}
	if resp != nil {
		t.Errorf("got response %+v, want nil", resp)
	}
	checkNoSecret(t, err)
}

func TestTheCallersCancellationIsNotAnUpstreamError(t *testing.T) {
	f := setup(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	f.mux.HandleFunc("/companies", func(w http.ResponseWriter, r *http.Request) {
		cancel()
		<-r.Context().Done()
	})

	_, _, err := f.client.Companies(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	var de *domain.Error
	if errors.As(err, &de) {
		t.Errorf("got a domain error %v, want the context's own error", de)
	}
}
