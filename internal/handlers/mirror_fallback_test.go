package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/internal/mirror"
)

// unreadableMirror is a mirror whose state says it covers everything but
// whose pages cannot be read: the shared state failed between the two.
type unreadableMirror struct{ *mirror.Reader }

func (unreadableMirror) Query(context.Context, mirror.Query) (mirror.Page, error) {
	return mirror.Page{}, errors.New("redis: connection refused")
}

// coveringMirror returns a mirror over a memory store whose backfill
// reached the beginning of history and which holds no call.
func coveringMirror(t *testing.T) *mirror.Reader {
	t.Helper()
	ctx := context.Background()
	store := mirror.NewMemoryStore(nil)
	fence, _, err := store.Acquire(ctx, "acme-client", "test", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	st := mirror.State{CoveredFrom: time.Unix(0, 0), SyncedAt: time.Now(), BackfillDone: true}
	if err := store.SaveState(ctx, "acme-client", fence, st); err != nil {
		t.Fatal(err)
	}
	return &mirror.Reader{Store: store, Follows: store, Account: "acme-client"}
}

func TestAnUnreadableMirrorLeavesFirstPagesToTheUpstream(t *testing.T) {
	g := newSimGateway(t, simOptions{calls: 30, mirror: unreadableMirror{coveringMirror(t)}})

	t.Run("a first page is the upstream's", func(t *testing.T) {
		resp, body := g.send(t, "GET", "/v1/calls?limit=5")
		var p CallList
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &p) != nil {
			t.Fatalf("got %d %s, want 200", resp.StatusCode, body)
		}
		if got := resp.Header.Get("X-Cache"); got != "MISS" {
			t.Fatalf("X-Cache: got %q, want MISS", got)
		}
		var got []string
		for _, c := range p.Data {
			got = append(got, c.ID)
		}
		if want := g.wantIDs()[:5]; !slices.Equal(got, want) {
			t.Fatalf("ids: got %v, want %v", got, want)
		}
	})
	t.Run("an export is the upstream's", func(t *testing.T) {
		resp, body := g.send(t, "GET", "/v1/calls/export")
		if resp.StatusCode != 200 || resp.Header.Get("X-Cache") == "MIRROR" {
			t.Fatalf("got %d X-Cache %q, want 200 from the upstream", resp.StatusCode, resp.Header.Get("X-Cache"))
		}
		if n := strings.Count(body, "\n"); n != 30 {
			t.Fatalf("lines: got %d, want 30", n)
		}
	})
	t.Run("a mirror cursor's page exists only in the mirror: 503 with Retry-After", func(t *testing.T) {
		f, _ := parseCallsFilter("limit=5", true)
		c, err := g.srv.mirrorCursorFor(&Tenant{ID: "acme"}, f.digest(), mirror.Query{}, mirror.Key{StartedAt: 1, ID: "1"})
		if err != nil {
			t.Fatal(err)
		}
		resp, body := g.send(t, "GET", "/v1/calls?limit=5&cursor="+url.QueryEscape(c))
		if resp.StatusCode != 503 || !strings.Contains(body, "/problems/upstream-unavailable") || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("got %d Retry-After %q %s, want 503 upstream-unavailable with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	})
}

func TestANoCacheReadWhoseFollowDoesNotCompleteServesTheMirrorAsHeld(t *testing.T) {
	m := coveringMirror(t) // no syncer serves its follow requests
	g := newSimGateway(t, simOptions{calls: 5, mirror: m})
	g.srv.mirrorFollowWait = 50 * time.Millisecond

	start := time.Now()
	resp, body := g.send(t, "GET", "/v1/calls?limit=5", "Cache-Control", "no-cache")
	if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "MIRROR" {
		t.Fatalf("got %d X-Cache %q %s, want 200 MIRROR", resp.StatusCode, resp.Header.Get("X-Cache"), body)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("the read waited %v for a follow bounded at 50 ms", waited)
	}
	if seq, _ := m.Follows.Requested(context.Background(), "acme-client"); seq != 1 {
		t.Fatalf("follow requests recorded: got %d, want 1", seq)
	}
	if n := g.sim.RequestCount(); n != 0 {
		t.Fatalf("upstream requests: got %d, want 0 (the mirror answers)", n)
	}
}

func TestAHeadExportOfAMirroredTenantSpendsNoBudget(t *testing.T) {
	g := newSimGateway(t, simOptions{calls: 5, mirror: coveringMirror(t)})
	cases := []struct {
		name, query, wantXCache string
	}{
		{"without a campaign it says MIRROR", "", "MIRROR"},
		{"with a campaign_id it leaves the campaign list alone", "?campaign_id=s1", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, _ := g.send(t, "HEAD", "/v1/calls/export"+c.query)
			if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != c.wantXCache {
				t.Fatalf("got %d X-Cache %q, want 200 X-Cache %q", resp.StatusCode, resp.Header.Get("X-Cache"), c.wantXCache)
			}
			if n := g.sim.RequestCount(); n != 0 {
				t.Fatalf("upstream requests: got %d, want 0", n)
			}
		})
	}
}
