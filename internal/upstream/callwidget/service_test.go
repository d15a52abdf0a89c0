package callwidget

import (
	"context"
	"errors"
	"testing"

	"switchboard/internal/action"
)

// refusingGuard stands for an open circuit breaker.
type refusingGuard struct{ err error }

func (g refusingGuard) Do(context.Context, func(context.Context) error) error { return g.err }

func TestServiceRefusedByItsGuardSendsNothing(t *testing.T) {
	f := newFakeUpstream(t)
	c := newTestClient(t, f, newFakeClock(), nil)
	refused := errors.New("breaker open")
	s := NewService(c, refusingGuard{refused})
	req := mustDecode(t, action.KindMessage, body(`"message": "hi"`))

	calls := map[string]func() error{
		"installs":    func() error { _, err := s.Installs(context.Background()); return err },
		"departments": func() error { _, err := s.Departments(context.Background()); return err },
		"tags":        func() error { _, err := s.Tags(context.Background()); return err },
		"automations": func() error { _, err := s.Automations(context.Background()); return err },
		"a text":      func() error { _, err := s.Perform(context.Background(), action.KindMessage, req, ""); return err },
	}
	for name, call := range calls {
		t.Run(name+" is refused before the network", func(t *testing.T) {
			if err := call(); !errors.Is(err, refused) {
				t.Fatalf("got %v, want the guard's refusal", err)
			}
		})
	}
	if logins, refreshes, shares := f.counts(); logins+refreshes+shares != 0 {
		t.Fatalf("got %d logins, %d refreshes, %d API requests, want none", logins, refreshes, shares)
	}
}

func TestServicePassesThroughWithoutAGuard(t *testing.T) {
	f := newFakeUpstream(t)
	s := NewService(newTestClient(t, f, newFakeClock(), nil), nil)
	if _, err := s.Tags(context.Background()); err != nil {
		t.Fatalf("Tags: %v", err)
	}
	if _, _, shares := f.counts(); shares != 1 {
		t.Fatalf("got %d API requests, want 1", shares)
	}
}
