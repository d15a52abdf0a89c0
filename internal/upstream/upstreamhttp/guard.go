package upstreamhttp

import "context"

// Guard runs an upstream call or refuses it without running it: the
// account's circuit breaker (internal/breaker) is one. A refusal is returned
// as Do's error.
type Guard interface {
	Do(ctx context.Context, call func(ctx context.Context) error) error
}

// Guarded runs call through g and returns its value; a nil g runs call
// directly.
func Guarded[T any](ctx context.Context, g Guard, call func(ctx context.Context) (T, error)) (T, error) {
	if g == nil {
		return call(ctx)
	}
	var v T
	err := g.Do(ctx, func(ctx context.Context) error {
		var err error
		v, err = call(ctx)
		return err
	})
	return v, err
}
