package main

import (
	"bytes"
	"net/http"
	"sync"
)

// sniffLen is how much of an answer's body the tap keeps to classify it.
const sniffLen = 96

// tap sits in front of a simulator and counts the statuses it answers, so
// that the report can say how many 429s the upstream itself sent. It is
// safe for concurrent use.
type tap struct {
	next http.Handler

	mu       sync.Mutex
	statuses map[int]int // 0: no status written (reset or hung connection)
	limited  int         // 429s from the simulator's own rate limiter
}

func newTap(next http.Handler) *tap {
	return &tap{next: next, statuses: map[int]int{}}
}

// ServeHTTP serves r through the simulator and counts the answer.
func (t *tap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tw := &tapWriter{ResponseWriter: w}
	t.next.ServeHTTP(tw, r)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.statuses[tw.status]++
	// An injected 429 says "injected fault"; the rate limiter's says
	// "rate_limited" (phonewagonsim's error code).
	if tw.status == http.StatusTooManyRequests && bytes.Contains(tw.sniff, []byte(`"rate_limited"`)) {
		t.limited++
	}
}

// counts returns a copy of the status counts and the rate limiter's 429s.
func (t *tap) counts() (map[int]int, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[int]int, len(t.statuses))
	for k, v := range t.statuses {
		out[k] = v
	}
	return out, t.limited
}

// tapWriter records the status and the start of the body. Unwrap lets
// http.ResponseController reach the connection, which the simulators'
// reset and truncate faults hijack.
type tapWriter struct {
	http.ResponseWriter
	status int
	sniff  []byte
}

func (w *tapWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *tapWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if room := sniffLen - len(w.sniff); room > 0 {
		w.sniff = append(w.sniff, b[:min(room, len(b))]...)
	}
	return w.ResponseWriter.Write(b)
}

func (w *tapWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
