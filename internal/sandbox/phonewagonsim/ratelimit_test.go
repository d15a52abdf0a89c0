package phonewagonsim_test

import (
	"net/http"
	"testing"
	"time"

	"switchboard/internal/sandbox/phonewagonsim"
)

func TestRateLimitIsASlidingMinutePerAccount(t *testing.T) {
	f := newFixture(t, nil)
	at := func(d time.Duration) { f.clock.Set(now.Add(d)) }
	expect := func(t *testing.T, id, secret string, wantStatus int, wantRetry string) {
		t.Helper()
		resp := f.mustGet(t, "/companies", id, secret)
		if resp.status != wantStatus {
			t.Fatalf("got %d, want %d", resp.status, wantStatus)
		}
		if got := resp.header.Get("Retry-After"); got != wantRetry {
			t.Errorf("got Retry-After %q, want %q", got, wantRetry)
		}
		if wantStatus == http.StatusTooManyRequests {
			decode[map[string]any](t, resp.body)
		}
	}

	t.Run("fifty requests within a minute are allowed", func(t *testing.T) {
		expect(t, acmeID, acmeSecret, http.StatusOK, "")
		at(10 * time.Second)
		for range phonewagonsim.DefaultRatePerMinute - 1 {
			expect(t, acmeID, acmeSecret, http.StatusOK, "")
		}
	})
	t.Run("unauthenticated requests do not count", func(t *testing.T) {
		expect(t, acmeID, "wrong", http.StatusUnauthorized, "")
	})
	t.Run("the fifty-first waits until the oldest leaves the window", func(t *testing.T) {
		at(20*time.Second + 500*time.Millisecond)
		expect(t, acmeID, acmeSecret, http.StatusTooManyRequests, "40") // ceil(39.5 s)
	})
	t.Run("a rejected request does not extend the window", func(t *testing.T) {
		at(30 * time.Second)
		expect(t, acmeID, acmeSecret, http.StatusTooManyRequests, "30")
	})
	t.Run("another account has its own budget", func(t *testing.T) {
		expect(t, globexID, globexKey, http.StatusOK, "")
	})
	t.Run("a slot frees when the oldest request is a minute old", func(t *testing.T) {
		at(time.Minute)
		expect(t, acmeID, acmeSecret, http.StatusOK, "")
	})
	t.Run("the window slides: the next slot frees ten seconds later", func(t *testing.T) {
		expect(t, acmeID, acmeSecret, http.StatusTooManyRequests, "10")
		at(70 * time.Second)
		expect(t, acmeID, acmeSecret, http.StatusOK, "")
	})
}

func TestRatePerMinuteIsConfigurable(t *testing.T) {
	f := newFixture(t, func(c *phonewagonsim.Config) { c.RatePerMinute = 2 })
	want := []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests}
	for i, w := range want {
		if got := f.mustGet(t, "/companies", acmeID, acmeSecret).status; got != w {
			t.Errorf("request %d: got %d, want %d", i+1, got, w)
		}
	}
}
