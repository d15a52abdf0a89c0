package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"unsafe"

	"switchboard/internal/upstream/upstreamhttp"
)

type requestIDKey struct{}

// requestState is what the middleware keep about one request, allocated once
// as it enters (withRequestID): its id, what the access log reports
// (requestInfo, with the upstream timings) and, once authenticated, its
// tenant. It is the request's context, over the incoming one, and answers
// the lookups of RequestID, infoFrom and the tenant itself, so that no
// middleware adds a context layer (and a request copy) of its own for them.
type requestState struct {
	context.Context
	id       string
	idHeader [1]string // the X-Request-Id header value
	idBytes  [2 * requestIDBytes]byte
	info     requestInfo
	writer   statusWriter
	// Set by authenticate, before any handler runs (and before anything
	// could read them concurrently): the tenant, and the context holding
	// the caller's principal, over Context, that answers the other keys.
	tenant tenantEntry
	authed context.Context
}

type requestStateKey struct{}

// Value answers the keys the state holds and defers the others to the
// incoming context.
func (st *requestState) Value(key any) any {
	switch key.(type) {
	case requestStateKey:
		return st
	case requestInfoKey:
		return &st.info
	case tenantKey:
		if st.tenant.tenant != nil {
			return &st.tenant
		}
	}
	if st.authed != nil {
		return st.authed.Value(key)
	}
	return st.Context.Value(key)
}

// stateFrom returns the request's state, or nil outside withRequestID.
func stateFrom(ctx context.Context) *requestState {
	st, _ := ctx.Value(requestStateKey{}).(*requestState)
	return st
}

// maxRequestIDLen bounds a caller's X-Request-Id; longer ones are replaced.
const maxRequestIDLen = 128

// RequestID returns the request id stored in ctx, or "".
func RequestID(ctx context.Context) string {
	if st := stateFrom(ctx); st != nil {
		return st.id
	}
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// withRequestID honours a sane caller X-Request-Id (1–128 characters of
// [A-Za-z0-9._:-], so it cannot inject into headers or logs) and generates
// one otherwise. The id is echoed on every response. It starts the
// request's state (requestState), which the later middleware fill in.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := &requestState{id: r.Header.Get("X-Request-Id")}
		if !saneRequestID(st.id) {
			st.id = st.newID()
		}
		st.idHeader[0] = st.id
		st.Context = upstreamhttp.WithTimings(r.Context(), &st.info.upstream)
		w.Header()["X-Request-Id"] = st.idHeader[:]
		next.ServeHTTP(w, r.WithContext(st))
	})
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [requestIDBytes]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}

// requestIDBytes is the randomness of a generated request id.
const requestIDBytes = 16

// newID is newRequestID written into st.idBytes, so that the id costs no
// allocation of its own: the string shares st's memory, which keeps st
// alive, and idBytes is never written again.
func (st *requestState) newID() string {
	var b [requestIDBytes]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	hex.Encode(st.idBytes[:], b[:])
	return unsafe.String(&st.idBytes[0], len(st.idBytes))
}
