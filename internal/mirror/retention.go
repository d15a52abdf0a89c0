package mirror

import (
	"context"
	"time"
)

// trim drops the calls that started before now − retention. When it drops
// any, the mirror no longer holds every call from CoveredFrom on, so
// CoveredFrom moves up to the trim bound; when it drops none, nothing older
// was held, and a CoveredFrom at the beginning of history stays true.
func (h *holder) trim(ctx context.Context) error {
	bound := h.clock.Now().UTC().Add(-h.cfg.Retention)
	before, err := h.cfg.Store.Count(ctx, h.cfg.Account)
	if err != nil {
		return err
	}
	if err := h.cfg.Store.Trim(ctx, h.cfg.Account, h.fence, bound); err != nil {
		return err
	}
	after, err := h.cfg.Store.Count(ctx, h.cfg.Account)
	if err != nil {
		return err
	}
	if after < before && h.state.CoveredFrom.Before(bound) {
		h.state.CoveredFrom = bound.Truncate(time.Millisecond)
		return h.saveState(ctx)
	}
	return nil
}
