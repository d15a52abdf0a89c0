package auth

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// breakKeys makes every signature check fail, so a token that still
// verifies afterwards can only have come from the cache.
func breakKeys(v *Verifier) {
	v.keyfunc = func(*jwt.Token) (any, error) { return nil, errors.New("keys withdrawn") }
}

func TestVerifyCache(t *testing.T) {
	exp := testNow.Add(time.Hour)
	tests := []struct {
		name string
		at   time.Time // when the token is verified a second time, keys broken
		want string    // the error message; empty means served from the cache
	}{
		{"a token seen again is served without a signature check", testNow.Add(time.Minute), ""},
		{"an entry lapses after five minutes even if the token lives on", testNow.Add(cacheTTL), "token algorithm is not accepted"},
		{"an entry lapses at the token's expiry", exp, "token algorithm is not accepted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now, set := fixedClock()
			v := mustVerifier(t, Config{HMACSecret: testSecret, Now: now})
			token := sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(map[string]any{"exp": exp.Unix()}), "")
			if _, err := v.Verify(token); err != nil {
				t.Fatalf("first Verify: %v", err)
			}
			breakKeys(v)
			set(tt.at)
			p, err := v.Verify(token)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got error %v, want a cache hit", err)
				}
				if p.Tenant != "acme" {
					t.Errorf("got tenant %q, want acme", p.Tenant)
				}
				return
			}
			wantUnauthorized(t, err, tt.want, token)
		})
	}
}

func TestVerifyCacheRejectsAnExpiredToken(t *testing.T) {
	now, set := fixedClock()
	v := mustVerifier(t, Config{HMACSecret: testSecret, Now: now})
	exp := testNow.Add(2 * time.Minute)
	token := sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(map[string]any{"exp": exp.Unix()}), "")
	if _, err := v.Verify(token); err != nil {
		t.Fatalf("first Verify: %v", err)
	}
	if got := v.cache.len(); got != 1 {
		t.Fatalf("got %d cache entries, want 1", got)
	}
	set(exp.Add(MaxLeeway + time.Second))
	_, err := v.Verify(token)
	wantUnauthorized(t, err, "token expired", token)
}

func TestVerifyCacheHandsOutCopies(t *testing.T) {
	now, _ := fixedClock()
	v := mustVerifier(t, Config{HMACSecret: testSecret, Now: now})
	token := sign(t, jwt.SigningMethodHS256, []byte(testSecret), baseClaims(), "")
	p, err := v.Verify(token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	p.Tenant, p.Scopes = "other", NewScopeSet(KnownScopes()...)
	again, err := v.Verify(token)
	if err != nil {
		t.Fatalf("second Verify: %v", err)
	}
	if again.Tenant != "acme" || again.HasScope(ScopeCallsWrite) {
		t.Errorf("got %+v from the cache, want the original principal", *again)
	}
}

func TestVerifyCacheSize(t *testing.T) {
	tests := []struct {
		name      string
		size      int
		tokens    int
		wantOff   bool
		wantAtMax int
	}{
		{"the cache holds no more than its capacity", 3, 10, false, 3},
		{"a negative size turns the cache off", -1, 3, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now, _ := fixedClock()
			v := mustVerifier(t, Config{HMACSecret: testSecret, Now: now, CacheSize: tt.size})
			if (v.cache == nil) != tt.wantOff {
				t.Fatalf("got cache off %t, want %t", v.cache == nil, tt.wantOff)
			}
			for i := range tt.tokens {
				token := sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(map[string]any{"jti": fmt.Sprint(i)}), "")
				if _, err := v.Verify(token); err != nil {
					t.Fatalf("Verify token %d: %v", i, err)
				}
			}
			if v.cache != nil {
				if got := v.cache.len(); got != tt.wantAtMax {
					t.Errorf("got %d entries, want %d", got, tt.wantAtMax)
				}
			}
		})
	}
}

func TestVerifyCacheEvictsExpiredEntriesFirst(t *testing.T) {
	now, set := fixedClock()
	v := mustVerifier(t, Config{HMACSecret: testSecret, Now: now, CacheSize: 2})
	short := sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(map[string]any{"exp": testNow.Add(time.Minute).Unix()}), "")
	long := sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(map[string]any{"jti": "long"}), "")
	for _, token := range []string{short, long} {
		if _, err := v.Verify(token); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	}
	set(testNow.Add(2 * time.Minute))
	newer := sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(map[string]any{"jti": "newer"}), "")
	if _, err := v.Verify(newer); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	breakKeys(v)
	if _, err := v.Verify(long); err != nil {
		t.Errorf("got error %v for the unexpired entry, want it kept in the cache", err)
	}
}

func TestVerifyCacheDoesNotKeepFailures(t *testing.T) {
	now, _ := fixedClock()
	v := mustVerifier(t, Config{HMACSecret: testSecret, Now: now})
	token := sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(map[string]any{"aud": "elsewhere"}), "")
	if _, err := v.Verify(token); err == nil {
		t.Fatalf("got the token accepted, want it rejected")
	}
	if got := v.cache.len(); got != 0 {
		t.Errorf("got %d cache entries after a failure, want 0", got)
	}
}

func TestVerifyIsSafeForConcurrentUse(t *testing.T) {
	now, _ := fixedClock()
	v := mustVerifier(t, Config{HMACSecret: testSecret, Now: now, CacheSize: 4})
	tokens := make([]string, 8)
	for i := range tokens {
		tokens[i] = sign(t, jwt.SigningMethodHS256, []byte(testSecret), with(map[string]any{"jti": fmt.Sprint(i)}), "")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8*50)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				if _, err := v.Verify(tokens[(g+i)%len(tokens)]); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("got error %v, want every token accepted", err)
	}
}
