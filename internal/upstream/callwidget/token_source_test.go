package callwidget

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/cache"
	"switchboard/internal/domain"
)

func TestConcurrentFirstRequestsLogInOnce(t *testing.T) {
	f := newFakeUpstream(t)
	gate := make(chan struct{})
	f.set(func(f *fakeUpstream) { f.loginGate = gate })
	c := newTestClient(t, f, newFakeClock(), nil)

	const n = 20
	var started, done sync.WaitGroup
	started.Add(n)
	for range n {
		done.Go(func() {
			started.Done()
			mustTags(t, c)
		})
	}
	// Hold the login until every request is under way, so that they all
	// need the token while it is being obtained.
	started.Wait()
	close(gate)
	done.Wait()

	logins, refreshes, shares := f.counts()
	if logins != 1 || refreshes != 0 || shares != n {
		t.Fatalf("got %d logins, %d refreshes, %d requests; want 1, 0, %d", logins, refreshes, shares, n)
	}
}

func TestReplicasSharingAStoreLogInOnce(t *testing.T) {
	f := newFakeUpstream(t)
	gate := make(chan struct{})
	f.set(func(f *fakeUpstream) { f.loginGate = gate })
	store := cache.NewMemoryTokens()
	clock := newFakeClock()
	shared := func(cfg *Config) { cfg.Tokens, cfg.TokenKey = store, "acme" }
	replicas := []*Client{newTestClient(t, f, clock, shared), newTestClient(t, f, clock, shared)}

	const n = 10
	var started, done sync.WaitGroup
	started.Add(n * len(replicas))
	for _, c := range replicas {
		for range n {
			done.Go(func() {
				started.Done()
				mustTags(t, c)
			})
		}
	}
	started.Wait()
	close(gate)
	done.Wait()

	if logins, _, _ := f.counts(); logins != 1 {
		t.Fatalf("got %d logins, want 1", logins)
	}
}

func TestTokenRenewal(t *testing.T) {
	tests := []struct {
		name          string
		expiresIn     any
		refreshStatus int
		advance       time.Duration
		wantLogins    int
		wantRefreshes int
	}{
		{name: "a token well before its expiry is reused", expiresIn: 3600, advance: 58 * time.Minute, wantLogins: 1},
		{name: "a token within the expiry delta is refreshed, not logged in again", expiresIn: 3600, advance: 59*time.Minute + 1, wantLogins: 1, wantRefreshes: 1},
		{name: "an expired token is refreshed", expiresIn: 3600, advance: 2 * time.Hour, wantLogins: 1, wantRefreshes: 1},
		{name: "expires_in as a numeric string is understood", expiresIn: "3600", advance: 58 * time.Minute, wantLogins: 1},
		{name: "a missing expires_in means five minutes", expiresIn: nil, advance: 4*time.Minute + 1, wantLogins: 1, wantRefreshes: 1},
		{name: "a missing expires_in still serves for four minutes", expiresIn: nil, advance: 4*time.Minute - 1, wantLogins: 1},
		{name: "a zero expires_in means five minutes", expiresIn: 0, advance: 3 * time.Minute, wantLogins: 1},
		{name: "a token shorter-lived than twice the delta is used for half its life", expiresIn: 60, advance: 29 * time.Second, wantLogins: 1},
		{name: "a refused refresh falls back to a login", expiresIn: 3600, refreshStatus: 401, advance: 2 * time.Hour, wantLogins: 2, wantRefreshes: 1},
		{name: "a refresh refused as a bad request falls back to a login", expiresIn: 3600, refreshStatus: 400, advance: 2 * time.Hour, wantLogins: 2, wantRefreshes: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeUpstream(t)
			f.set(func(f *fakeUpstream) { f.expiresIn, f.refreshStatus = tt.expiresIn, tt.refreshStatus })
			clock := newFakeClock()
			c := newTestClient(t, f, clock, nil)

			mustTags(t, c)
			clock.Advance(tt.advance)
			mustTags(t, c)

			logins, refreshes, _ := f.counts()
			if logins != tt.wantLogins || refreshes != tt.wantRefreshes {
				t.Fatalf("got %d logins and %d refreshes, want %d and %d",
					logins, refreshes, tt.wantLogins, tt.wantRefreshes)
			}
			if _, refused := f.authorizations(); refused != 0 {
				t.Fatalf("got %d requests refused with 401, want 0", refused)
			}
		})
	}
}

func TestARefreshThatFailsOtherwiseIsNotFollowedByALogin(t *testing.T) {
	f := newFakeUpstream(t)
	clock := newFakeClock()
	c := newTestClient(t, f, clock, nil)
	mustTags(t, c)

	f.set(func(f *fakeUpstream) { f.refreshStatus = 503 })
	clock.Advance(2 * time.Hour)
	_, _, err := c.Tags(context.Background())
	assertCode(t, err, domain.CodeUpstreamUnavailable)
	if logins, refreshes, _ := f.counts(); logins != 1 || refreshes != 1 {
		t.Fatalf("got %d logins and %d refreshes, want 1 and 1", logins, refreshes)
	}

	// The refresh token was not burned: once the upstream is back, it works.
	f.set(func(f *fakeUpstream) { f.refreshStatus = 0 })
	mustTags(t, c)
	if logins, refreshes, _ := f.counts(); logins != 1 || refreshes != 2 {
		t.Fatalf("got %d logins and %d refreshes, want 1 and 2", logins, refreshes)
	}
}

func TestALoginRefusalIsRememberedForAWhile(t *testing.T) {
	f := newFakeUpstream(t)
	f.set(func(f *fakeUpstream) { f.loginStatus = 401 })
	clock := newFakeClock()
	c := newTestClient(t, f, clock, nil)

	for range 3 {
		_, _, err := c.Tags(context.Background())
		assertCode(t, err, domain.CodeUpstreamAuthFailed)
	}
	if logins, _, shares := f.counts(); logins != 1 || shares != 0 {
		t.Fatalf("got %d logins and %d requests, want 1 and 0", logins, shares)
	}

	clock.Advance(loginPause)
	f.set(func(f *fakeUpstream) { f.loginStatus = 0 })
	mustTags(t, c)
	if logins, _, _ := f.counts(); logins != 2 {
		t.Fatalf("got %d logins after the pause, want 2", logins)
	}
}

func TestALoginRefusalNamesNoCredential(t *testing.T) {
	for _, status := range []int{400, 401, 403, 422} {
		t.Run("on status "+strconv.Itoa(status), func(t *testing.T) {
			f := newFakeUpstream(t)
			f.set(func(f *fakeUpstream) { f.loginStatus = status })
			c := newTestClient(t, f, newFakeClock(), nil)

			_, _, err := c.Tags(context.Background())
			de := assertCode(t, err, domain.CodeUpstreamAuthFailed)
			for _, secret := range []string{testEmail, testPassword} {
				for what, text := range map[string]string{"message": de.Message, "error": err.Error()} {
					if strings.Contains(text, secret) {
						t.Errorf("%s %q contains a credential, want none", what, text)
					}
				}
			}
		})
	}
}

func TestAStoredTokenOfAnotherReplicaIsUsed(t *testing.T) {
	f := newFakeUpstream(t)
	clock := newFakeClock()
	store := cache.NewMemoryTokens()
	// Another replica logged in.
	f.set(func(f *fakeUpstream) { f.access["access-other"] = true })
	value := encodeToken(token{Access: "access-other", Refresh: "refresh-other", Issued: clock.Now(), Expiry: clock.Now().Add(time.Hour)})
	if _, ok, err := store.CompareAndSwap(context.Background(), "acme", 0, value); err != nil || !ok {
		t.Fatalf("seeding the store: %v, %v", ok, err)
	}
	c := newTestClient(t, f, clock, func(cfg *Config) { cfg.Tokens, cfg.TokenKey = store, "acme" })

	mustTags(t, c)
	if logins, refreshes, _ := f.counts(); logins != 0 || refreshes != 0 {
		t.Fatalf("got %d logins and %d refreshes, want none", logins, refreshes)
	}
	if seen, _ := f.authorizations(); seen[0] != "Bearer access-other" {
		got := seen[0]
		t.Fatalf("Authorization = %q, want the stored token", got)
	}
}

func TestAnUnreadableStoredTokenIsReplaced(t *testing.T) {
	f := newFakeUpstream(t)
	store := cache.NewMemoryTokens()
	ctx := context.Background()
	if _, _, err := store.CompareAndSwap(ctx, "acme", 0, "not json"); err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, f, newFakeClock(), func(cfg *Config) { cfg.Tokens, cfg.TokenKey = store, "acme" })

	mustTags(t, c)
	value, _, err := store.Get(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := decodeToken(value)
	if err != nil || tok.Access != "access-1" {
		t.Fatalf("stored token = %v, %v; want access-1", tok.Access.Reveal(), err)
	}
}

func TestAFailingStoreDoesNotFailRequests(t *testing.T) {
	f := newFakeUpstream(t)
	clock := newFakeClock()
	c := newTestClient(t, f, clock, func(cfg *Config) { cfg.Tokens, cfg.TokenKey = failingStore{}, "acme" })

	for range 3 {
		mustTags(t, c)
	}
	clock.Advance(2 * time.Hour)
	mustTags(t, c)
	f.revokeAccess()
	mustTags(t, c)

	if logins, refreshes, shares := f.counts(); logins != 1 || refreshes != 2 || shares != 6 {
		t.Fatalf("got %d logins, %d refreshes, %d requests; want 1, 2, 6", logins, refreshes, shares)
	}
}

func TestACredentialRefusalDropsTheStoredToken(t *testing.T) {
	f := newFakeUpstream(t)
	store := cache.NewMemoryTokens()
	c := newTestClient(t, f, newFakeClock(), func(cfg *Config) { cfg.Tokens, cfg.TokenKey = store, "acme" })
	mustTags(t, c)

	// The token is revoked, its refresh token too, and the password changed.
	f.revokeAccess()
	f.set(func(f *fakeUpstream) { f.refreshStatus, f.loginStatus = 401, 401 })
	_, _, err := c.Tags(context.Background())
	assertCode(t, err, domain.CodeUpstreamAuthFailed)

	if _, version, err := store.Get(context.Background(), "acme"); err != nil || version != 0 {
		t.Fatalf("store still holds version %d (%v), want the dead token dropped", version, err)
	}
}
