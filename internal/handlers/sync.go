package handlers

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/domain"
	"switchboard/internal/mirror"
)

// SyncStatus is the state of the tenant's call-history mirror.
type SyncStatus struct {
	// State is "backfilling" until the backfill has reached the retention
	// (or the beginning of history), then "following"; "failing" while the
	// last sync request failed.
	State string `json:"state" validate:"required" enums:"backfilling,following,failing" example:"following"`
	// CoveredFrom is the oldest instant from which the mirror holds every
	// call; null until the backfill completes; 1970-01-01T00:00:00Z when it
	// reached the beginning of history. Calls queries whose window starts
	// at or after it are answered from the mirror.
	CoveredFrom *time.Time `json:"covered_from" validate:"required" format:"date-time" example:"1970-01-01T00:00:00Z" extensions:"x-nullable"`
	// SyncedAt is when the last successful follow ran; null before one.
	SyncedAt *time.Time `json:"synced_at" validate:"required" format:"date-time" example:"2026-11-21T10:15:30Z" extensions:"x-nullable"`
	// Calls is the number of calls held.
	Calls int `json:"calls" validate:"required" example:"1250"`
	// LastError is the last failed sync request; null after a success.
	LastError *SyncError `json:"last_error" validate:"required" extensions:"x-nullable"`
} // @name SyncStatus

// SyncError is the kind (a problem slug) and time of a failed sync request.
type SyncError struct {
	Type string    `json:"type" validate:"required" example:"upstream-unavailable"`
	At   time.Time `json:"at" validate:"required" format:"date-time" example:"2026-11-21T10:15:30Z"`
} // @name SyncError

// syncStatusOf renders a mirror's state for GET /v1/sync.
func syncStatusOf(st mirror.State, calls int) SyncStatus {
	out := SyncStatus{State: mirror.Status(st), Calls: calls}
	if st.LastError != "" {
		out.LastError = &SyncError{Type: st.LastError, At: st.LastErrorAt.UTC().Truncate(time.Second)}
	}
	if !st.CoveredFrom.IsZero() {
		// Rounded up to the second: the mirror holds every call from any
		// later instant too, and a caller who asks since covered_from as
		// shown is then answered from the mirror, not the upstream.
		v := st.CoveredFrom.UTC()
		if whole := v.Truncate(time.Second); !whole.Equal(v) {
			v = whole.Add(time.Second)
		}
		out.CoveredFrom = &v
	}
	if !st.SyncedAt.IsZero() {
		v := st.SyncedAt.UTC().Truncate(time.Second)
		out.SyncedAt = &v
	}
	return out
}

// getSync godoc
//
//	@Summary		Call-history mirror state
//	@ID				getSync
//	@Description	The state of the tenant's call-history mirror (a synced copy of the Phonewagon account's calls that answers calls queries without spending the budget): whether it is still backfilling, how far back it covers, when it last followed the upstream, how many calls it holds, and the last sync failure. Reads the shared state only. Scope `calls:read`.
//	@Tags			phonewagon
//	@Produce		json
//	@Security		bearerauth
//	@Success		200	{object}	SyncStatus
//	@Header			200	{string}	X-Synced-At	"RFC 3339 time of the last successful follow, when there was one"
//	@Failure		401	{object}	Problem	"missing or invalid token"
//	@Failure		403	{object}	Problem	"scope missing, unknown tenant, no Phonewagon account, or no mirror (mirror-not-configured)"
//	@Failure		503	{object}	Problem	"the shared state cannot be read"
//	@Router			/v1/sync [get]
func (s *Server) getSync(w http.ResponseWriter, r *http.Request) error {
	t, m, err := mirrorFrom(r.Context())
	if err != nil {
		return err
	}
	st, err := m.State(r.Context())
	if err != nil {
		return mirrorUnavailable(err)
	}
	n, err := m.Count(r.Context())
	if err != nil {
		return mirrorUnavailable(err)
	}
	w.Header().Set("Cache-Control", "no-store")
	setMirrorHeaders(w, t, st)
	w.Header().Del("X-Cache") // the state itself, not a cached read
	return writeJSON(w, http.StatusOK, syncStatusOf(st, n))
}

// getCall godoc
//
//	@Summary		Get one call
//	@ID				getCall
//	@Description	One call of the tenant's Phonewagon account, read from its call-history mirror (no upstream request). 404 when the mirror holds no call with that id: it may not have synced it yet (see `GET /v1/sync`). Scope `calls:read`.
//	@Tags			phonewagon
//	@Produce		json
//	@Security		bearerauth
//	@Param			id	path		string	true	"Phonewagon call id"	example(12450)
//	@Success		200	{object}	domain.Call
//	@Header			200	{string}	X-Cache		"MIRROR"
//	@Header			200	{string}	X-Synced-At	"RFC 3339 time of the mirror's last successful follow"
//	@Failure		401	{object}	Problem	"missing or invalid token"
//	@Failure		403	{object}	Problem	"scope missing, unknown tenant, no Phonewagon account, or no mirror (mirror-not-configured)"
//	@Failure		404	{object}	Problem	"the mirror holds no such call"
//	@Failure		503	{object}	Problem	"the shared state cannot be read"
//	@Router			/v1/calls/{id} [get]
func (s *Server) getCall(w http.ResponseWriter, r *http.Request) error {
	t, m, err := mirrorFrom(r.Context())
	if err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	if !isToken(id, 64) {
		return domain.Errorf(domain.CodeNotFound, "no call with this id")
	}
	if wantsRevalidation(r) {
		s.followFirst(r.Context(), m)
	}
	c, ok, err := m.Get(r.Context(), id)
	if err != nil {
		return mirrorUnavailable(err)
	}
	if !ok {
		return domain.Errorf(domain.CodeNotFound, "the call-history mirror holds no call with this id")
	}
	return writeMirrored(w, r, t, s.mirrorState(r.Context(), t), c)
}
