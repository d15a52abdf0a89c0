package fault_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"switchboard/internal/sandbox/fault"
)

// newServer serves `{"ok":true}` unless the switch injects a fault.
func newServer(t *testing.T, sw *fault.Switch) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sw.Serve(w, r) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// newClient does not reuse connections, so net/http never silently retries
// a GET whose reused connection was reset.
func newClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
}

// fetch returns the status and body of a GET, or the transport/body error.
func fetch(ctx context.Context, c *http.Client, url string) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body, err
}

func TestFaultKinds(t *testing.T) {
	tests := []struct {
		name  string
		fault fault.Fault
		check func(t *testing.T, status int, h http.Header, body []byte, err error)
	}{
		{
			name:  "a status fault answers that status with Retry-After rounded up",
			fault: fault.Fault{Status: 503, RetryAfter: 1500 * time.Millisecond},
			check: func(t *testing.T, status int, h http.Header, body []byte, err error) {
				if err != nil || status != 503 {
					t.Fatalf("got status %d, err %v; want 503, nil", status, err)
				}
				if got := h.Get("Retry-After"); got != "2" {
					t.Errorf("got Retry-After %q, want %q", got, "2")
				}
				if !json.Valid(body) {
					t.Errorf("got body %q, want valid JSON", body)
				}
			},
		},
		{
			name:  "the zero fault answers 500 without Retry-After",
			fault: fault.Fault{},
			check: func(t *testing.T, status int, h http.Header, _ []byte, err error) {
				if err != nil || status != 500 || h.Get("Retry-After") != "" {
					t.Fatalf("got status %d, Retry-After %q, err %v; want 500, none, nil", status, h.Get("Retry-After"), err)
				}
			},
		},
		{
			name:  "a reset fault breaks the connection before any response",
			fault: fault.Fault{Kind: fault.KindReset},
			check: func(t *testing.T, status int, _ http.Header, _ []byte, err error) {
				if err == nil {
					t.Fatalf("got status %d and no error, want a transport error", status)
				}
			},
		},
		{
			name:  "a malformed JSON fault answers 200 with a body that does not parse",
			fault: fault.Fault{Kind: fault.KindMalformedJSON},
			check: func(t *testing.T, status int, _ http.Header, body []byte, err error) {
				if err != nil || status != 200 {
					t.Fatalf("got status %d, err %v; want 200, nil", status, err)
				}
				if json.Valid(body) {
					t.Errorf("got valid JSON %q, want malformed", body)
				}
			},
		},
		{
			name:  "a truncated fault ends the body early with an unexpected EOF",
			fault: fault.Fault{Kind: fault.KindTruncated},
			check: func(t *testing.T, status int, _ http.Header, _ []byte, err error) {
				if !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("got status %d, err %v; want io.ErrUnexpectedEOF", status, err)
				}
			},
		},
		{
			name:  "an unexpected shape fault answers 200 with valid JSON of another shape",
			fault: fault.Fault{Kind: fault.KindUnexpectedShape},
			check: func(t *testing.T, status int, _ http.Header, body []byte, err error) {
				if err != nil || status != 200 || string(body) != `{"unexpected":true}` {
					t.Fatalf("got status %d, body %q, err %v; want 200, {\"unexpected\":true}, nil", status, body, err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sw fault.Switch
			srv := newServer(t, &sw)
			sw.Inject(tt.fault)
			status, h, body, err := fetch(context.Background(), newClient(), srv.URL)
			tt.check(t, status, h, body, err)
		})
	}
}

func TestHangBlocksUntilTheClientGivesUp(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run("a hung "+method+" ends when the client gives up", func(t *testing.T) {
			var sw fault.Switch
			srv := newServer(t, &sw)
			sw.Inject(fault.Fault{Kind: fault.KindHang})
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, method, srv.URL, strings.NewReader(`{"a":1}`))
			if err != nil {
				t.Fatal(err)
			}
			if _, err = newClient().Do(req); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got err %v, want context.DeadlineExceeded", err)
			}
			// srv.Close in Cleanup blocks until the hung handler returns.
		})
	}
}

func TestClearReleasesAHungRequest(t *testing.T) {
	var sw fault.Switch
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		if !sw.Serve(w, r) {
			_, _ = io.WriteString(w, `{"ok":true}`)
		}
	}))
	t.Cleanup(srv.Close)
	// The request may reach the switch just after Clear and be served
	// normally; then try again. A Clear that fails to release hangs the test.
	for attempt := 0; attempt < 20; attempt++ {
		sw.Inject(fault.Fault{Kind: fault.KindHang})
		done := make(chan error, 1)
		go func() {
			_, _, _, err := fetch(context.Background(), newClient(), srv.URL)
			done <- err
		}()
		<-arrived
		sw.Clear()
		if err := <-done; err != nil {
			return // released: the connection was dropped
		}
	}
	t.Fatalf("got every request served normally, want one hung and then released")
}

func TestFaultScope(t *testing.T) {
	tests := []struct {
		name  string
		fault fault.Fault
		paths []string
		want  []int
	}{
		{
			name:  "a fault limited to two requests lets the third through",
			fault: fault.Fault{Status: 502, Times: 2},
			paths: []string{"/a", "/a", "/a"},
			want:  []int{502, 502, 200},
		},
		{
			name:  "a fault limited to a path prefix spares other paths",
			fault: fault.Fault{Status: 503, PathPrefix: "/calls"},
			paths: []string{"/companies", "/calls", "/calls/x"},
			want:  []int{200, 503, 503},
		},
		{
			name:  "a counted fault on a prefix only counts matching requests",
			fault: fault.Fault{Status: 429, Times: 1, PathPrefix: "/calls"},
			paths: []string{"/companies", "/calls", "/calls"},
			want:  []int{200, 429, 200},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sw fault.Switch
			srv := newServer(t, &sw)
			sw.Inject(tt.fault)
			for i, p := range tt.paths {
				status, _, _, err := fetch(context.Background(), newClient(), srv.URL+p)
				if err != nil || status != tt.want[i] {
					t.Errorf("request %d to %s: got %d, err %v; want %d", i, p, status, err, tt.want[i])
				}
			}
		})
	}
}

func TestClearStopsTheFault(t *testing.T) {
	var sw fault.Switch
	srv := newServer(t, &sw)
	sw.Inject(fault.Fault{Status: 500})
	sw.Clear()
	status, _, _, err := fetch(context.Background(), newClient(), srv.URL)
	if err != nil || status != 200 {
		t.Fatalf("got %d, err %v; want 200", status, err)
	}
}

func TestServeMatchesAnyGivenPathForm(t *testing.T) {
	var sw fault.Switch
	sw.Inject(fault.Fault{Status: 503, PathPrefix: "/share/"})
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/api/v1/share/tags", nil)
	if !sw.Serve(rec, r, r.URL.Path, "/share/tags") {
		t.Fatalf("got not served, want the fault to match the path below the base")
	}
	if rec.Code != 503 {
		t.Errorf("got %d, want 503", rec.Code)
	}
}
