package phonewagon

import (
	"context"
	"errors"
	"testing"

	"switchboard/internal/domain"
)

// refusingGuard stands for an open circuit breaker.
type refusingGuard struct{ err error }

func (g refusingGuard) Do(context.Context, func(context.Context) error) error { return g.err }

func TestServiceRefusedByItsGuardSpendsNoBudgetAndSendsNothing(t *testing.T) {
	budget := &fakeBudget{}
	f := setup(t, func(c *Config) { c.Budget = budget })
	refused := errors.New("breaker open")
	s := NewService(f.client, refusingGuard{refused})

	calls := map[string]func() error{
		"companies": func() error { _, err := s.Companies(context.Background()); return err },
		"campaigns": func() error { _, err := s.Campaigns(context.Background(), "1001"); return err },
		"calls":     func() error { _, err := s.Calls(context.Background(), domain.CallsQuery{PageSize: 10}); return err },
	}
	for name, call := range calls {
		t.Run(name+" is refused before the budget and the network", func(t *testing.T) {
			if err := call(); !errors.Is(err, refused) {
				t.Fatalf("got %v, want the guard's refusal", err)
			}
		})
	}
	if waits, _ := budget.counts(); waits != 0 || f.hits.Load() != 0 {
		t.Fatalf("got %d budget waits and %d upstream requests, want none", waits, f.hits.Load())
	}
}
