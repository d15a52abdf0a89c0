package breaker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/upstream/upstreamhttp"
)

// answer returns what the clients make of an upstream answer with status
// and header.
func answer(status int, header http.Header) error {
	u, _ := url.Parse("https://api.example.com/v1/calls")
	if header == nil {
		header = http.Header{}
	}
	resp := &http.Response{
		StatusCode: status,
		Header:     header,
		Body:       io.NopCloser(strings.NewReader(`{"error":"x"}`)),
		Request:    &http.Request{Method: http.MethodGet, URL: u},
	}
	return upstreamhttp.CheckResponse(resp, "Phonewagon", time.Now())
}

// transport returns what the clients make of a failed http.Client.Do.
func transport(ctx context.Context, err error) error {
	return upstreamhttp.TransportError(ctx, "Phonewagon", err)
}

// classifyCases are the errors an upstream call can end with, and what each
// says about the upstream.
func classifyCases() []struct {
	name string
	err  error
	want outcome
} {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	refused := &url.Error{Op: "Get", URL: "https://api.example.com/v1/calls",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	other, _ := New(Config{Name: "callwidget:ops@acme.example"})
	return []struct {
		name string
		err  error
		want outcome
	}{
		{"a success is an answer", nil, answered},
		{"a 500 is a failure", answer(500, nil), failed},
		{"a 502 is a failure", answer(502, nil), failed},
		{"a 503 with Retry-After is a failure", answer(503, http.Header{"Retry-After": {"5"}}), failed},
		{"a refused connection is a failure", transport(context.Background(), refused), failed},
		{"a reset connection is a failure", transport(context.Background(), errors.New("read: connection reset by peer")), failed},
		{"a timeout is a failure", transport(context.Background(), context.DeadlineExceeded), failed},
		{"a malformed body is a failure", domain.Wrap(errors.New("decode body: unexpected EOF"), domain.CodeUpstreamError, "unreadable"), failed},
		{"a failure wrapped with an operation prefix is a failure", fmt.Errorf("phonewagon: list calls: %w", answer(500, nil)), failed},
		{"a 429 is an answer, not a failure", answer(429, http.Header{"Retry-After": {"12"}}), answered},
		{"a 401 is an answer, not a failure", answer(401, nil), answered},
		{"a 403 is an answer, not a failure", answer(403, nil), answered},
		{"a spent budget says nothing: no request was made", &domain.Error{Code: domain.CodeUpstreamBudget, RetryAfter: time.Second}, inconclusive},
		{"a validation error says nothing", domain.ValidationError(domain.FieldError{Field: "limit", Message: "too big"}), inconclusive},
		{"a not-found says nothing", domain.Errorf(domain.CodeNotFound, "no such company"), inconclusive},
		{"an unclassified error says nothing", errors.New("something odd"), inconclusive},
		{"a deadline passed while waiting for a budget slot says nothing", fmt.Errorf("ratelimit: wait: %w", context.DeadlineExceeded), inconclusive},
		{"the caller's cancellation says nothing", fmt.Errorf("ratelimit: wait: %w", context.Canceled), inconclusive},
		{"a transport error after the caller hung up says nothing", transport(canceled, errors.New("connection reset by peer")), inconclusive},
		{"another breaker's refusal says nothing", other.refusal(time.Second), inconclusive},
	}
}

func TestClassify(t *testing.T) {
	for _, tt := range classifyCases() {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.want {
				t.Errorf("classify(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestClassifyCall(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want outcome
	}{
		{"a failure after the caller hung up says nothing", canceled, answer(500, nil), inconclusive},
		{"a success after the caller hung up is still an answer", canceled, nil, answered},
		{"a failure for a caller still waiting is a failure", context.Background(), answer(500, nil), failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classifyCall(tt.ctx, tt.err); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

// TestEveryOutcomeDrivesTheBreaker runs each error of the classification
// table through Do, both while closed (threshold times in a row) and as the
// probe, and checks where the breaker ends up.
func TestEveryOutcomeDrivesTheBreaker(t *testing.T) {
	whileClosed := map[outcome]State{answered: Closed, failed: Open, inconclusive: Closed}
	asProbe := map[outcome]State{answered: Closed, failed: Open, inconclusive: HalfOpen}
	for _, tt := range classifyCases() {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			for range f.b.threshold {
				if ran, _ := f.call(tt.err); !ran {
					t.Fatalf("got op skipped while closed, want it called")
				}
			}
			if got, want := f.b.State(), whileClosed[tt.want]; got != want {
				t.Errorf("after %d such errors: got state %s, want %s", f.b.threshold, got, want)
			}

			f = newFixture(t)
			f.open(t)
			f.clock.Advance(2 * time.Second)
			if ran, _ := f.call(tt.err); !ran {
				t.Fatalf("got the probe refused, want it called")
			}
			if got, want := f.b.State(), asProbe[tt.want]; got != want {
				t.Errorf("after a probe with this error: got state %s, want %s", got, want)
			}
		})
	}
}
