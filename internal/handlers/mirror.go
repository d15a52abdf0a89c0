package handlers

import (
	"context"
	"log/slog"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/mirror"
)

// defaultMirrorFollowWait bounds how long a Cache-Control: no-cache read of
// the mirror waits for its follow when Config.MirrorFollowWait is unset.
const defaultMirrorFollowWait = 10 * time.Second

// CallMirror is one Phonewagon account's call-history mirror as the HTTP
// layer reads it (SPEC §7); *mirror.Reader is one. Every method reads the
// shared state only, never the upstream, except that Follow asks the
// account's syncer (on whichever replica holds the lease) for one follow.
type CallMirror interface {
	// Query returns one page in serving order (newest first, ties by id).
	Query(ctx context.Context, q mirror.Query) (mirror.Page, error)
	// Get returns one call by id; false when the mirror holds none.
	Get(ctx context.Context, id string) (domain.Call, bool, error)
	// State returns the sync state.
	State(ctx context.Context) (mirror.State, error)
	// Count returns the number of calls held.
	Count(ctx context.Context) (int, error)
	// Follow requests a follow and waits until one that started after the
	// request has completed, or ctx ends. Concurrent requests, from any
	// replica, share one follow.
	Follow(ctx context.Context) error
}

// mirrorFrom returns the caller's tenant and its mirror, or 403
// upstream-not-configured without Phonewagon and mirror-not-configured
// without a mirror.
func mirrorFrom(ctx context.Context) (*Tenant, CallMirror, error) {
	t, _, err := phonewagonFrom(ctx)
	if err != nil {
		return nil, nil, err
	}
	if t.Mirror == nil {
		return nil, nil, domain.Errorf(domain.CodeMirrorNotConfigured,
			"tenant %q has no call-history mirror: its Phonewagon account has no mirror block", t.ID)
	}
	return t, t.Mirror, nil
}

// covers reports whether a mirror in state st holds every call of a window
// starting at since (zero: the beginning of history). CoveredFrom zero
// means the backfill has not completed; the Unix epoch means it reached
// the beginning of history, which covers every window.
func covers(st mirror.State, since time.Time) bool {
	from := st.CoveredFrom
	switch {
	case from.IsZero():
		return false
	case from.Unix() <= 0:
		return true
	case since.IsZero():
		return false
	}
	return !since.Before(from)
}

// mirrorPlan decides whether f is answered from the mirror: the tenant has
// one, it covers the window, and a campaign_id resolves to exactly one
// campaign name of its company. It returns the mirror query (without After
// and Limit) and the state read. ok false means "ask the upstream", also
// when the mirror's state cannot be read: the upstream path has its own
// cache and fallbacks, and the caller is answered either way.
func (s *Server) mirrorPlan(ctx context.Context, t *Tenant, pw PhonewagonService, f callsFilter) (mirror.Query, mirror.State, bool) {
	if t.Mirror == nil {
		return mirror.Query{}, mirror.State{}, false
	}
	st, err := t.Mirror.State(ctx)
	if err != nil {
		s.logger.LogAttrs(ctx, slog.LevelWarn, "mirror state unreadable; answering from the upstream",
			slog.String("request_id", RequestID(ctx)), slog.String("error", err.Error()))
		return mirror.Query{}, mirror.State{}, false
	}
	if !covers(st, f.Since) {
		return mirror.Query{}, st, false
	}
	q := mirror.Query{CompanyID: f.CompanyID, Since: f.Since, Until: f.Until}
	if f.CampaignID != "" {
		company, name, ok := s.mirrorCampaign(ctx, t, pw, f)
		if !ok {
			return mirror.Query{}, st, false
		}
		q.CompanyID, q.CampaignName = company, name
	}
	return q, st, true
}

// followFirst runs one follow before a Cache-Control: no-cache read of the
// mirror, waiting at most s.mirrorFollowWait. When the follow does not
// complete in time (the syncer is backed off, the budget's background lane
// is full, no replica holds the lease) the read goes on with what the
// mirror holds: X-Synced-At tells the caller how fresh that is.
func (s *Server) followFirst(ctx context.Context, m CallMirror) {
	wctx, cancel := context.WithTimeout(ctx, s.mirrorFollowWait)
	defer cancel()
	if err := m.Follow(wctx); err != nil && ctx.Err() == nil {
		s.logger.LogAttrs(ctx, slog.LevelInfo, "no-cache read served from the mirror as held: the follow did not complete",
			slog.String("request_id", RequestID(ctx)), slog.Duration("waited", s.mirrorFollowWait),
			slog.String("error", err.Error()))
	}
}

// mirrorState reads the state for the headers of a mirror answer; a
// failure leaves X-Synced-At out rather than failing the read.
func (s *Server) mirrorState(ctx context.Context, t *Tenant) mirror.State {
	st, _ := t.Mirror.State(ctx)
	return st
}
