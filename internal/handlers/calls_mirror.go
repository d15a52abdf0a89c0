package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"switchboard/internal/cache"
	"switchboard/internal/domain"
	"switchboard/internal/mirror"
)

// mirrorRetryAfter is the Retry-After of a mirror page that cannot be read
// (the shared state failed while a mirror cursor was being followed).
const mirrorRetryAfter = 5 * time.Second

// xcacheMirror is the X-Cache value of mirror answers, shared so that it
// allocates nothing per request (never modified; see xcacheValues).
var xcacheMirror = []string{"MIRROR"}

// mirrorCursorFor signs the cursor that continues a mirror walk after key:
// a keyset bound, like an upstream cursor, to the tenant and the filters'
// digest, carrying the company and campaign name the walk queries so that
// its pages do not depend on the campaign list read later.
func (s *Server) mirrorCursorFor(t *Tenant, digest string, q mirror.Query, key mirror.Key) (string, error) {
	return s.cursors.sign(cursorPayload{Version: mirrorVersion, Tenant: t.ID, Query: digest,
		Company: q.CompanyID, Campaign: q.CampaignName, At: key.StartedAt, ID: key.ID})
}

// mirrorQueryOf rebuilds the query of a mirror walk from its cursor and the
// filters it is bound to (the digest guarantees they are the same).
func mirrorQueryOf(p cursorPayload, f callsFilter) mirror.Query {
	return mirror.Query{CompanyID: p.Company, CampaignName: p.Campaign, Since: f.Since, Until: f.Until,
		After: &mirror.Key{StartedAt: p.At, ID: p.ID}}
}

// serveMirrorPage answers GET /v1/calls from the mirror: one keyset page of
// q, with X-Cache: MIRROR, X-Synced-At, an ETag of the body (304 on a
// match) and a cursor that continues after the page's last call, so that
// calls arriving later, newer than the walk, never shift its pages.
func (s *Server) serveMirrorPage(w http.ResponseWriter, r *http.Request, t *Tenant, f callsFilter, digest string, q mirror.Query, st mirror.State) error {
	ctx := r.Context()
	if wantsRevalidation(r) {
		s.followFirst(ctx, t.Mirror)
		if fresh, err := t.Mirror.State(ctx); err == nil {
			st = fresh
		}
	}
	q.Limit, q.Encoded = f.Limit, true
	pg, err := t.Mirror.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%w: %w", errMirrorRead, err)
	}
	var next *string
	if pg.Next != nil {
		c, err := s.mirrorCursorFor(t, digest, q, *pg.Next)
		if err != nil {
			return err
		}
		next = &c
		link := f.canonical(true)
		link.Set("cursor", c)
		w.Header().Set("Link", `</v1/calls?`+link.Encode()+`>; rel="next"`)
	}
	var body []byte
	if pg.Records != nil {
		buf := pageBodies.Get().(*[]byte)
		defer putPageBody(buf)
		body, err = callListBody((*buf)[:0], pg.Records, next)
		*buf = body
	} else { // a mirror that decoded the page all the same
		body, err = json.Marshal(CallList{Data: nonNil(pg.Calls), NextCursor: next})
		body = append(body, '\n')
	}
	if err != nil {
		return err
	}
	writeMirroredBody(w, r, t, st, body)
	return nil
}

// pageBodies holds the buffers mirror pages are assembled in: a page of
// 100 calls is about 100 kB, which the server copies to the connection
// and forgets.
var pageBodies = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBody is the largest buffer put back in pageBodies.
const maxPooledBody = 2 << 20

func putPageBody(buf *[]byte) {
	if cap(*buf) <= maxPooledBody {
		pageBodies.Put(buf)
	}
}

// callListBody appends to dst the body json.Marshal gives a CallList (and
// the newline after it) whose calls encode as records: the records are the
// calls' JSON as encoding/json writes it, so they are joined as they are.
func callListBody(dst []byte, records []string, next *string) ([]byte, error) {
	cursor := []byte("null")
	if next != nil {
		var err error
		if cursor, err = json.Marshal(*next); err != nil {
			return nil, err
		}
	}
	const head, mid, tail = `{"data":[`, `],"next_cursor":`, "}\n"
	n := len(head) + len(mid) + len(cursor) + len(tail) + len(records)
	for _, r := range records {
		n += len(r)
	}
	body := slices.Grow(dst, n)
	body = append(body, head...)
	for i, r := range records {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, r...)
	}
	body = append(body, mid...)
	body = append(body, cursor...)
	return append(body, tail...), nil
}

// writeMirrored answers v, read from the mirror in state st: X-Cache:
// MIRROR, X-Synced-At, the budget left, an ETag of the body and 304 when
// If-None-Match matches it.
func writeMirrored(w http.ResponseWriter, r *http.Request, t *Tenant, st mirror.State, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	writeMirroredBody(w, r, t, st, append(body, '\n'))
	return nil
}

// writeMirroredBody answers body (JSON) as writeMirrored does.
func writeMirroredBody(w http.ResponseWriter, r *http.Request, t *Tenant, st mirror.State, body []byte) {
	infoFrom(r.Context()).cache = "MIRROR"
	setMirrorHeaders(w, t, st)
	h := w.Header()
	etag := cache.ETag(body)
	h["Etag"] = []string{etag}
	h["Cache-Control"] = cacheControlPrivate
	if inm := r.Header.Get("If-None-Match"); inm != "" && cache.ETagMatches(inm, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = contentTypeJSON
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// setMirrorHeaders marks an answer read from the mirror: X-Cache: MIRROR,
// X-Synced-At (when a follow has completed) and the budget left, as every
// Phonewagon read reports it.
func setMirrorHeaders(w http.ResponseWriter, t *Tenant, st mirror.State) {
	h := w.Header()
	h["X-Cache"] = xcacheMirror
	if !st.SyncedAt.IsZero() {
		h.Set("X-Synced-At", st.SyncedAt.UTC().Format(time.RFC3339))
	}
	setBudgetHeader(w, t)
}

// errMirrorRead marks a failed read of the mirror before anything was
// written: a first page may still be answered by the upstream instead.
var errMirrorRead = errors.New("mirror read failed")

// mirrorUnavailable reports a mirror read that failed (the shared state is
// down) as a 503 to retry, never as the upstream's fault.
func mirrorUnavailable(err error) error {
	var de *domain.Error
	if errors.As(err, &de) || errors.Is(err, context.Canceled) {
		return err
	}
	return &domain.Error{Code: domain.CodeUpstreamUnavailable, RetryAfter: mirrorRetryAfter,
		Message: "the call-history mirror cannot be read right now; retry shortly", Err: err}
}
