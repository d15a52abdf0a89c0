package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"
)

// codesWriter records every status written to it and keeps the body.
type codesWriter struct {
	*httptest.ResponseRecorder
	codes []int
}

func (w *codesWriter) WriteHeader(code int) { w.codes = append(w.codes, code) }

func TestTheRequestStateAnswersForTheRequest(t *testing.T) {
	var ids []string
	var contexts []context.Context
	h := withRequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ids = append(ids, RequestID(r.Context()))
		contexts = append(contexts, r.Context())
		infoFrom(r.Context()).cache = "HIT"
	}))
	var echoed []string
	for range 3 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
		echoed = append(echoed, rec.Header().Get("X-Request-Id"))
	}
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for i, id := range ids {
		if !hex32.MatchString(id) || id != echoed[i] {
			t.Errorf("request %d: got id %q, echoed %q; want the same 32 hex digits", i, id, echoed[i])
		}
		for j := range i {
			if ids[j] == id {
				t.Errorf("requests %d and %d share the id %q", j, i, id)
			}
		}
		if got := infoFrom(contexts[i]).cache; got != "HIT" {
			t.Errorf("request %d: infoFrom is not the request's own record (cache %q)", i, got)
		}
	}
	if _, ok := contexts[0].Value(tenantKey{}).(*tenantEntry); ok {
		t.Error("got a tenant before authentication, want none")
	}
}

func TestStatusWriterRecordsWhatReachesTheCaller(t *testing.T) {
	t.Run("the first final status and the body bytes", func(t *testing.T) {
		rec := &codesWriter{ResponseRecorder: httptest.NewRecorder()}
		w := &statusWriter{ResponseWriter: rec}
		w.WriteHeader(http.StatusEarlyHints)
		w.WriteHeader(http.StatusNotFound)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("gone"))
		if w.status != http.StatusNotFound || w.bytes != 4 || !slices.Equal(rec.codes, []int{103, 404}) {
			t.Errorf("got status %d, %d bytes, codes sent %v; want 404, 4 bytes, [103 404]", w.status, w.bytes, rec.codes)
		}
	})
	t.Run("a write without a status is a 200", func(t *testing.T) {
		rec := httptest.NewRecorder()
		w := &statusWriter{ResponseWriter: rec}
		_, _ = w.Write([]byte("ok"))
		if w.status != http.StatusOK || rec.Code != http.StatusOK {
			t.Errorf("got status %d, recorder %d; want 200", w.status, rec.Code)
		}
	})
	t.Run("a flush reaches the wrapped writer, directly or through a ResponseController", func(t *testing.T) {
		for _, flush := range []func(w *statusWriter){
			func(w *statusWriter) { w.Flush() },
			func(w *statusWriter) { _ = http.NewResponseController(w).Flush() },
		} {
			rec := httptest.NewRecorder()
			w := &statusWriter{ResponseWriter: rec}
			flush(w)
			if !rec.Flushed || w.status != http.StatusOK {
				t.Errorf("got flushed %v, status %d; want a flush and 200", rec.Flushed, w.status)
			}
		}
	})
}
