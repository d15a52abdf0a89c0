package mirror

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"switchboard/internal/domain"
)

// The announcement of changes (the events of SPEC §8): a follow's or a
// revisit's write leaves its changes pending in the store, atomically with
// the calls, and they are cleared only once OnChange has taken them, so
// that neither a crash nor a failed append between the two loses one
// (docs/MIRROR.md, "Changes pending announcement").

// upsert writes calls and announces what changed to OnChange. The store
// leaves the changes pending in the same atomic write, and they are cleared
// only once OnChange has taken them: a holder that dies or fails in between
// leaves them for the next page's drain or the next holder (announcePending),
// so no change goes unannounced; one may be announced twice, after a crash
// or a failed announcement only.
func (h *holder) upsert(ctx context.Context, calls []domain.Call) error {
	if h.cfg.OnChange == nil {
		_, err := h.cfg.Store.Upsert(ctx, h.cfg.Account, h.fence, calls)
		return err
	}
	changes, err := h.cfg.Store.UpsertPending(ctx, h.cfg.Account, h.fence, calls)
	if err != nil {
		return err
	}
	// Until they are cleared, the changes are pending: on any failure from
	// here, announcePending runs before the next page.
	h.drain = true
	announced := make([]string, 0, len(calls))
	for i, ch := range changes {
		if ch == Unchanged {
			continue
		}
		if err := h.cfg.OnChange(ch, calls[i]); err != nil {
			return errors.Join(fmt.Errorf("mirror: announcing call %s: %w", calls[i].ID, err), h.announced(ctx, announced))
		}
		announced = append(announced, calls[i].ID)
	}
	if err := h.announced(ctx, announced); err != nil {
		return err
	}
	h.drain = false
	return nil
}

// announcePending announces the changes the store holds pending (left by
// a holder that died or failed between writing and announcing), oldest
// call first, with the calls as now held; a call no longer held (trimmed)
// is cleared unannounced.
func (h *holder) announcePending(ctx context.Context) error {
	pending, err := h.cfg.Store.Pending(ctx, h.cfg.Account)
	if err != nil {
		return err
	}
	type held struct {
		change Change
		call   domain.Call
		member string // sort member: ascending is oldest first
	}
	calls := make([]held, 0, len(pending))
	var gone []string
	for _, p := range pending {
		c, ok, err := h.cfg.Store.Get(ctx, h.cfg.Account, p.ID)
		if err != nil {
			return err
		}
		if !ok {
			gone = append(gone, p.ID)
			continue
		}
		calls = append(calls, held{p.Change, c, sortMember(callKey(c))})
	}
	slices.SortFunc(calls, func(a, b held) int { return strings.Compare(a.member, b.member) })
	announced := gone
	for _, c := range calls {
		if err := h.cfg.OnChange(c.change, c.call); err != nil {
			return errors.Join(fmt.Errorf("mirror: announcing call %s: %w", c.call.ID, err), h.announced(ctx, announced))
		}
		announced = append(announced, c.call.ID)
	}
	if err := h.announced(ctx, announced); err != nil {
		return err
	}
	h.drain = false
	return nil
}

// announced clears the pending changes of ids.
func (h *holder) announced(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return h.cfg.Store.Announced(ctx, h.cfg.Account, h.fence, ids)
}
