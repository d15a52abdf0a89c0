package idempotency_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"switchboard/internal/breaker"
	"switchboard/internal/domain"
	"switchboard/internal/idempotency"
	"switchboard/internal/upstream/upstreamhttp"
)

func TestReleasesOnlyWhatTheUpstreamProvablyDidNotActOn(t *testing.T) {
	answered := func(status int) error {
		resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}"))}
		return upstreamhttp.CheckResponse(resp, "CallWidget", time.Now())
	}
	timeout := domain.Wrap(errors.New("i/o timeout"), domain.CodeUpstreamTimeout, "CallWidget did not answer in time")
	timeout.NotRetriable = true
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"a refused connection never left", fmt.Errorf("callwidget: /share/new-sms: %w",
			errors.Join(domain.Errorf(domain.CodeUpstreamUnavailable, "CallWidget cannot be reached"), domain.ErrNotSent)), true},
		{"a breaker refusal never left", &domain.Error{Code: domain.CodeUpstreamUnavailable, Err: fmt.Errorf("acct: %w", breaker.ErrOpen)}, true},
		{"a budget refusal never left", domain.Errorf(domain.CodeUpstreamBudget, "budget spent"), true},
		{"an upstream 500 may have acted", answered(500), false},
		{"an upstream 503 may have acted", answered(503), false},
		{"an upstream 429 may have acted", answered(429), false},
		{"an upstream answer it could not use was received", answered(422), false},
		{"the caller's invalid input did nothing", domain.ValidationError(domain.FieldError{Field: "install", Message: "not this tenant's"}), true},
		{"a timeout after sending may have acted", timeout, false},
		{"an unknown error may have acted", errors.New("boom"), false},
		{"no error is no failure", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := idempotency.Releases(tc.err); got != tc.want {
				t.Fatalf("got Releases %v, want %v for %v", got, tc.want, tc.err)
			}
		})
	}
}
