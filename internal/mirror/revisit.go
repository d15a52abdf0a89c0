package mirror

import (
	"context"

	"switchboard/internal/domain"
)

// revisitStep runs one page of the revisit (SPEC §7): every
// revisit_interval, the calls started within the last `revisit`, re-read
// and upserted with their changes reported, so that a call whose record
// changed after it was first seen (in progress → completed, a duration, a
// recording URL) is updated. An interrupted revisit resumes at the page that
// failed. When it completes, calls past the retention are trimmed.
func (h *holder) revisitStep(ctx context.Context) error {
	if h.revisit == nil {
		now := h.clock.Now().UTC()
		h.revisit = &pageWalk{
			next:    domain.CallsQuery{Start: now.Add(-h.cfg.Revisit), PageSize: h.cfg.PageSize},
			started: now,
		}
	}
	done, err := h.revisit.step(ctx, h.cfg.Upstream, func(calls []domain.Call) error {
		return h.upsert(ctx, calls)
	})
	h.observe(KindRevisit, err)
	if err != nil || !done {
		return err
	}
	h.nextRevisit = h.revisit.started.Add(h.cfg.RevisitInterval)
	h.revisit = nil
	return h.trim(ctx)
}
