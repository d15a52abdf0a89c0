package upstreamhttp

import (
	"context"
	"errors"
	"testing"
)

// refusingGuard refuses every call; openGuard runs every call.
type refusingGuard struct{ err error }

func (g refusingGuard) Do(context.Context, func(context.Context) error) error { return g.err }

type openGuard struct{ runs *int }

func (g openGuard) Do(ctx context.Context, call func(context.Context) error) error {
	*g.runs++
	return call(ctx)
}

func TestGuarded(t *testing.T) {
	refused := errors.New("breaker open")
	t.Run("a refusing guard returns its error without running the call", func(t *testing.T) {
		ran := false
		v, err := Guarded(context.Background(), refusingGuard{refused}, func(context.Context) (int, error) { ran = true; return 1, nil })
		if ran || !errors.Is(err, refused) || v != 0 {
			t.Fatalf("got %d, %v (ran %t), want 0, the refusal, not run", v, err, ran)
		}
	})
	t.Run("an admitting guard runs the call once and returns its value and error", func(t *testing.T) {
		runs := 0
		failed := errors.New("upstream 500")
		v, err := Guarded(context.Background(), openGuard{&runs}, func(context.Context) (int, error) { return 7, failed })
		if runs != 1 || v != 7 || !errors.Is(err, failed) {
			t.Fatalf("got %d, %v after %d runs, want 7, the call's error, 1 run", v, err, runs)
		}
	})
	t.Run("a nil guard runs the call", func(t *testing.T) {
		if v, err := Guarded(context.Background(), nil, func(context.Context) (int, error) { return 3, nil }); v != 3 || err != nil {
			t.Fatalf("got %d, %v, want 3, nil", v, err)
		}
	})
}
