package main

import (
	"context"
	"sync/atomic"
	"time"

	"switchboard/internal/handlers"
	"switchboard/internal/ratelimit"
)

// budgetReporter adapts a ratelimit.Budget to the handlers' BudgetReporter
// and remembers the latest remaining count for the response header.
type budgetReporter struct {
	b    *ratelimit.Budget
	last atomic.Int64 // remaining+1; 0 = nothing seen yet
}

func (r *budgetReporter) remember(n int) { r.last.Store(int64(n) + 1) }

// LastRemaining implements handlers.BudgetReporter.
func (r *budgetReporter) LastRemaining() (int, bool) {
	v := r.last.Load()
	return int(v - 1), v > 0
}

// Status implements handlers.BudgetReporter.
func (r *budgetReporter) Status(ctx context.Context) (handlers.BudgetStatus, error) {
	d, err := r.b.Status(ctx)
	if err != nil {
		return handlers.BudgetStatus{}, err
	}
	return handlers.BudgetStatus{
		Limit:         d.Limit,
		Remaining:     d.Remaining,
		WindowSeconds: int(time.Minute / time.Second),
		ResetAt:       d.ResetAt,
	}, nil
}

var _ handlers.BudgetReporter = (*budgetReporter)(nil)
