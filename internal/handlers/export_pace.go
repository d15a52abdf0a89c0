package handlers

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/ratelimit"
)

// minExportPause is the shortest wait for budget between two pages, used
// when a refusal names no Retry-After.
const minExportPause = time.Second

// exportTuning is what an export's pacing runs on; the zero value is
// production's. Tests set a small page size and a fake clock.
type exportTuning struct {
	pageSize int                                              // upstream page size; 0 = exportPageSize
	sleep    func(ctx context.Context, d time.Duration) error // nil = a timer
}

func (e exportTuning) size() int { return cmp.Or(e.pageSize, exportPageSize) }

func (e exportTuning) wait(ctx context.Context, d time.Duration) error {
	if e.sleep != nil {
		return e.sleep(ctx, d)
	}
	return ratelimit.Sleep(ctx, d)
}

// nextExportPage fetches page q of an export that is already streaming.
//
// A spent budget does not end the export (SPEC §3): the refusal
// (upstream-budget-exhausted, or an upstream 429, upstream-rate-limited,
// which also pauses the budget) is waited out for its Retry-After and the
// page asked for again, for as long as the client stays connected; the
// budget's own wait still bounds each attempt, so the account never goes
// over its limit. Any other failure is returned: the caller aborts the
// connection, since a 200 with its headers sent can no longer say so.
func (s *Server) nextExportPage(ctx context.Context, pw PhonewagonService, q domain.CallsQuery) (domain.CallsPage, error) {
	for {
		page, err := pw.Calls(ctx, q)
		if err == nil {
			return page, nil
		}
		pause, ok := budgetPause(err)
		if !ok {
			return domain.CallsPage{}, err
		}
		s.logger.LogAttrs(ctx, slog.LevelInfo, "export waiting for the Phonewagon budget",
			slog.String("request_id", RequestID(ctx)),
			slog.Duration("wait", pause))
		if err := s.exportTuning.wait(ctx, pause); err != nil {
			return domain.CallsPage{}, err
		}
	}
}

// budgetPause reports whether err is a refusal for want of budget, and how
// long to wait before asking again.
func budgetPause(err error) (time.Duration, bool) {
	var de *domain.Error
	if !errors.As(err, &de) {
		return 0, false
	}
	switch de.Code {
	case domain.CodeUpstreamBudget, domain.CodeUpstreamRateLimited:
		return max(de.RetryAfter, minExportPause), true
	}
	return 0, false
}
