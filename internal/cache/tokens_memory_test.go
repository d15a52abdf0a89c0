package cache_test

import (
	"context"
	"testing"
	"time"

	"switchboard/internal/cache"
	"switchboard/internal/upstream/callwidget"
)

// The memory store is a callwidget.TokenStore without either package
// importing the other; this line keeps the two in step.
var _ callwidget.TokenStore = (*cache.MemoryTokens)(nil)

func TestMemoryTokens(t *testing.T) {
	testTokenStore(t, func(t *testing.T) tokenStore { return cache.NewMemoryTokens() })
}

func TestMemoryTokensRejectsANonPositiveLockTTL(t *testing.T) {
	s := cache.NewMemoryTokens()
	for _, ttl := range []time.Duration{0, -time.Second} {
		if unlock, err := s.Lock(context.Background(), "k", ttl); err == nil {
			unlock()
			t.Errorf("Lock(ttl=%v): got nil error, want one", ttl)
		}
	}
}
