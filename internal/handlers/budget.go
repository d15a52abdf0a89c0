package handlers

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"switchboard/internal/ratelimit"
)

// BudgetStatus is a tenant's Phonewagon budget: requests per sliding window
// and how many are left.
type BudgetStatus struct {
	Limit         int       `json:"limit" example:"50"`
	Remaining     int       `json:"remaining" example:"42"`
	WindowSeconds int       `json:"window_seconds" example:"60"`
	ResetAt       time.Time `json:"reset_at" example:"2026-11-21T10:15:30Z"`
}

// BudgetReporter tells a tenant's Phonewagon budget; *ratelimit.Budget is
// one.
type BudgetReporter interface {
	// Status asks the budget store (one round trip).
	Status(ctx context.Context) (ratelimit.Decision, error)
	// LastRemaining is the remaining count seen by this replica's latest
	// decision, without asking the store; ok is false before any.
	LastRemaining() (remaining int, ok bool)
}

// setBudgetHeader adds X-Upstream-Budget-Remaining to a Phonewagon answer,
// from this replica's latest budget decision so that a cache hit costs no
// store round trip.
func setBudgetHeader(w http.ResponseWriter, t *Tenant) {
	if t.Budget == nil {
		return
	}
	if n, ok := t.Budget.LastRemaining(); ok {
		w.Header().Set("X-Upstream-Budget-Remaining", strconv.Itoa(n))
	}
}

// getBudget godoc
//
//	@Summary		Phonewagon budget
//	@Description	The tenant's Phonewagon request budget: at most `limit` upstream requests in any sliding window of `window_seconds`, shared by every replica and by tenants on the same Phonewagon account. Cache hits cost nothing. Any valid token may ask.
//	@ID				getBudget
//	@Tags			phonewagon
//	@Produce		json
//	@Security		bearerauth
//	@Success		200	{object}	BudgetStatus
//	@Header			200	{integer}	X-Upstream-Budget-Remaining	"requests left in the Phonewagon budget window"
//	@Failure		401	{object}	Problem	"missing or invalid token"
//	@Failure		403	{object}	Problem	"unknown tenant, or no Phonewagon account"
//	@Router			/v1/budget [get]
func (s *Server) getBudget(w http.ResponseWriter, r *http.Request) error {
	t, _, err := phonewagonFrom(r.Context())
	if err != nil {
		return err
	}
	if t.Budget == nil {
		return writeJSON(w, http.StatusOK, BudgetStatus{})
	}
	d, err := t.Budget.Status(r.Context())
	if err != nil {
		return err
	}
	st := BudgetStatus{
		Limit:         d.Limit,
		Remaining:     d.Remaining,
		WindowSeconds: int(ratelimit.Window / time.Second),
		ResetAt:       d.ResetAt.UTC().Truncate(time.Second),
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Upstream-Budget-Remaining", strconv.Itoa(st.Remaining))
	return writeJSON(w, http.StatusOK, st)
}
