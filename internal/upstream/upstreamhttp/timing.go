package upstreamhttp

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// maxTimedCalls bounds how many upstream requests one Timings describes one
// by one; past it they are only counted (an export walks many pages).
const maxTimedCalls = 8

// Timings collects the upstream requests made on behalf of one inbound
// request, for its access-log line. It is safe for concurrent use: a fill
// that outlives its caller may still add to it.
type Timings struct {
	mu    sync.Mutex
	count int
	total time.Duration
	calls []string
}

type timingsKey struct{}

// WithTimings returns a context whose upstream requests (sent through a
// Timed transport) are recorded in t. The zero Timings is ready to use, so
// it can live inside a larger per-request record.
func WithTimings(ctx context.Context, t *Timings) context.Context {
	return context.WithValue(ctx, timingsKey{}, t)
}

// Snapshot returns the number of upstream requests, their summed time to
// response headers, and up to maxTimedCalls of them as "METHOD /path STATUS
// 12.3ms" (status "error" when none came back). Paths carry no query, so no
// caller data.
func (t *Timings) Snapshot() (count int, total time.Duration, calls []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.count, t.total, append([]string(nil), t.calls...)
}

func (t *Timings) add(method, path string, status int, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.count++
	t.total += d
	if len(t.calls) < maxTimedCalls {
		s := "error"
		if status > 0 {
			s = strconv.Itoa(status)
		}
		t.calls = append(t.calls, method+" "+path+" "+s+" "+
			strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)+"ms")
	}
}

// Timed wraps rt so that every request whose context carries Timings (see
// WithTimings) is recorded there, with its time to response headers.
func Timed(rt http.RoundTripper) http.RoundTripper { return timedTransport{rt} }

type timedTransport struct{ next http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t timedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tm, _ := req.Context().Value(timingsKey{}).(*Timings)
	if tm == nil {
		return t.next.RoundTrip(req)
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	tm.add(req.Method, req.URL.Path, status, time.Since(start))
	return resp, err
}
