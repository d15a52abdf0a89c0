package cache_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"switchboard/internal/cache"
	"switchboard/internal/clocktest"
)

const freshFor = 5 * time.Minute

// newTestCache returns a Cache on a memory backend driven by clock.
func newTestCache(t *testing.T, clock *clocktest.Clock, cfg cache.Config) *cache.Cache {
	t.Helper()
	cfg.Now = clock.Now
	if cfg.Backend == nil {
		cfg.Backend = cache.NewMemoryBackend(clock.Now, 0)
	}
	c, err := cache.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func mustFetch(t *testing.T, c *cache.Cache, key string, revalidate bool, f *filler) cache.Result {
	t.Helper()
	res, err := c.Fetch(context.Background(), key, revalidate, f.fill)
	if err != nil {
		t.Fatalf("Fetch(%q): %v", key, err)
	}
	return res
}

func assertResult(t *testing.T, res cache.Result, status cache.Status, body string, age time.Duration) {
	t.Helper()
	if res.Status != status || string(res.Entry.Body) != body || res.Age != age {
		t.Fatalf("got %s %q age %v, want %s %q age %v", res.Status, res.Entry.Body, res.Age, status, body, age)
	}
}

func assertFills(t *testing.T, f *filler, want int64) {
	t.Helper()
	if got := f.calls.Load(); got != want {
		t.Fatalf("got %d fills, want %d", got, want)
	}
}

func TestCacheServesAndStores(t *testing.T) {
	key := cache.Key("acme", "pw-1", "/v1/companies", "")

	t.Run("a miss fills and the next fetch is a hit with its age", func(t *testing.T) {
		clock := clocktest.New()
		c := newTestCache(t, clock, cache.Config{})
		f := newFiller(`{"data":[]}`, freshFor)
		res := mustFetch(t, c, key, false, f)
		assertResult(t, res, cache.StatusMiss, `{"data":[]}`, 0)
		if want := cache.ETag([]byte(`{"data":[]}`)); res.Entry.ETag != want {
			t.Fatalf("got ETag %q, want %q", res.Entry.ETag, want)
		}
		if got := res.Entry.Header["X-Next-Cursor"]; got != "c1" {
			t.Fatalf("got X-Next-Cursor %q, want %q", got, "c1")
		}
		clock.Advance(90*time.Second + 400*time.Millisecond)
		assertResult(t, mustFetch(t, c, key, false, f), cache.StatusHit, `{"data":[]}`, 90*time.Second)
		assertFills(t, f, 1)
	})

	t.Run("an entry past its freshness is filled again", func(t *testing.T) {
		clock := clocktest.New()
		c := newTestCache(t, clock, cache.Config{})
		f := newFiller("one", freshFor)
		mustFetch(t, c, key, false, f)
		clock.Advance(freshFor)
		f.answer("two")
		assertResult(t, mustFetch(t, c, key, false, f), cache.StatusMiss, "two", 0)
		assertFills(t, f, 2)
	})

	t.Run("revalidation bypasses a fresh entry and stores the new one", func(t *testing.T) {
		clock := clocktest.New()
		c := newTestCache(t, clock, cache.Config{})
		f := newFiller("one", freshFor)
		mustFetch(t, c, key, false, f)
		f.answer("two")
		assertResult(t, mustFetch(t, c, key, true, f), cache.StatusBypass, "two", 0)
		assertResult(t, mustFetch(t, c, key, false, f), cache.StatusHit, "two", 0)
		assertFills(t, f, 2)
	})

	t.Run("a fill without freshness is served and not stored", func(t *testing.T) {
		clock := clocktest.New()
		c := newTestCache(t, clock, cache.Config{})
		f := newFiller("uncacheable", 0)
		mustFetch(t, c, key, false, f)
		assertResult(t, mustFetch(t, c, key, false, f), cache.StatusMiss, "uncacheable", 0)
		assertFills(t, f, 2)
	})

	t.Run("keys of different tenants do not share entries", func(t *testing.T) {
		clock := clocktest.New()
		c := newTestCache(t, clock, cache.Config{})
		mustFetch(t, c, cache.Key("acme", "/v1/tags"), false, newFiller("acme's", freshFor))
		res := mustFetch(t, c, cache.Key("globex", "/v1/tags"), false, newFiller("globex's", freshFor))
		assertResult(t, res, cache.StatusMiss, "globex's", 0)
	})

	t.Run("every result is reported to OnResult", func(t *testing.T) {
		clock := clocktest.New()
		var got []cache.Status
		c := newTestCache(t, clock, cache.Config{OnResult: func(s cache.Status) { got = append(got, s) }})
		f := newFiller("body", freshFor)
		mustFetch(t, c, key, false, f)
		mustFetch(t, c, key, false, f)
		mustFetch(t, c, key, true, f)
		want := []cache.Status{cache.StatusMiss, cache.StatusHit, cache.StatusBypass}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("got statuses %v, want %v", got, want)
		}
	})
}

func TestCacheWhenTheFillFails(t *testing.T) {
	key := cache.Key("acme", "/v1/campaigns")
	errUpstream := errors.New("phonewagon: list campaigns: 503")

	for _, tc := range []struct {
		name       string
		staleFor   time.Duration
		elapsed    time.Duration
		revalidate bool
		wantStale  bool
	}{
		{"a stale entry is served with its age", 0, 2 * time.Hour, false, true},
		{"an entry a day old is still served stale", 0, 24 * time.Hour, false, true},
		{"a fresh entry is served stale when revalidation fails", 0, time.Minute, true, true},
		{"an entry older than StaleFor is not served", time.Hour, time.Hour + time.Second, false, false},
		{"an entry older than the default day is not served", 0, 24*time.Hour + time.Second, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := clocktest.New()
			// A backend that keeps entries far longer than the Cache may
			// serve them, so the Cache's own limit is what is tested.
			c := newTestCache(t, clock, cache.Config{StaleFor: tc.staleFor})
			f := newFiller("old", freshFor)
			mustFetch(t, c, key, false, f)
			clock.Advance(tc.elapsed)
			f.failWith(errUpstream)
			res, err := c.Fetch(context.Background(), key, tc.revalidate, f.fill)
			if !tc.wantStale {
				if !errors.Is(err, errUpstream) {
					t.Fatalf("got %s, %v; want the fill error", res.Status, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want the stale entry", err)
			}
			assertResult(t, res, cache.StatusStale, "old", tc.elapsed)
			if !errors.Is(res.FillErr, errUpstream) {
				t.Fatalf("got FillErr %v, want %v", res.FillErr, errUpstream)
			}
		})
	}

	t.Run("without any entry the fill error is returned unchanged", func(t *testing.T) {
		c := newTestCache(t, clocktest.New(), cache.Config{})
		f := newFiller("", freshFor)
		f.failWith(errUpstream)
		if _, err := c.Fetch(context.Background(), key, false, f.fill); err != errUpstream {
			t.Fatalf("got error %v, want %v itself", err, errUpstream)
		}
	})

	t.Run("a panicking fill is an error, not a crash", func(t *testing.T) {
		c := newTestCache(t, clocktest.New(), cache.Config{})
		_, err := c.Fetch(context.Background(), key, false, func(context.Context) (cache.Entry, error) {
			panic("boom")
		})
		if err == nil {
			t.Fatal("got nil error, want one")
		}
	})
}

func TestCacheRejectsBadInput(t *testing.T) {
	for name, cfg := range map[string]cache.Config{
		"a negative StaleFor":       {StaleFor: -time.Second},
		"a negative BackendTimeout": {BackendTimeout: -time.Second},
		"a negative L1TTL":          {L1TTL: -time.Second},
		"a negative L1MaxBytes":     {L1MaxBytes: -1},
	} {
		t.Run("New refuses "+name, func(t *testing.T) {
			if _, err := cache.New(cfg); err == nil {
				t.Fatal("got nil error, want one")
			}
		})
	}

	t.Run("Fetch refuses an empty key or no fill", func(t *testing.T) {
		c := newTestCache(t, clocktest.New(), cache.Config{})
		if _, err := c.Fetch(context.Background(), "", false, newFiller("b", freshFor).fill); err == nil {
			t.Error("empty key: got nil error, want one")
		}
		if _, err := c.Fetch(context.Background(), "k", false, nil); err == nil {
			t.Error("nil fill: got nil error, want one")
		}
	})
}

func TestCacheBuildsTheReadyHeadersOncePerFill(t *testing.T) {
	key := cache.Key("acme", "pw-1", "/v1/calls", "")
	clock := clocktest.New()
	c := newTestCache(t, clock, cache.Config{})
	f := newFiller(`{"data":[]}`, freshFor)
	miss := mustFetch(t, c, key, false, f)
	hit := mustFetch(t, c, key, false, f)
	again := mustFetch(t, c, key, false, f)
	if miss.Status != cache.StatusMiss || hit.Status != cache.StatusHit {
		t.Fatalf("got %s then %s, want MISS then HIT", miss.Status, hit.Status)
	}
	want := http.Header{"Etag": {cache.ETag([]byte(`{"data":[]}`))}, "Content-Length": {"11"}, "X-Next-Cursor": {"c1"}}
	for _, res := range []cache.Result{miss, hit} {
		if got := res.Entry.ReadyHeader(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got ready headers %v, want %v", res.Status, got, want)
		}
	}
	if reflect.ValueOf(hit.Entry.ReadyHeader()).Pointer() != reflect.ValueOf(again.Entry.ReadyHeader()).Pointer() {
		t.Error("two hits of one entry built its ready headers twice, want them built once")
	}
}

func TestAnEntryNotFilledByACacheStillHasItsHeaders(t *testing.T) {
	e := cache.Entry{Body: []byte("{}\n"), Header: map[string]string{"link": "<x>"}}
	want := http.Header{"Link": {"<x>"}, "Content-Length": {"3"}}
	got := e.ReadyHeader()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// The values share one array: an append to one must not reach another.
	for k := range got {
		_ = append(got[k], "appended")
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after appends to the values: got %v, want %v", got, want)
	}
}
