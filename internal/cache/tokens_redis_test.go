package cache_test

import (
	"context"
	"crypto/rand"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/cache"
	"switchboard/internal/domain"
	"switchboard/internal/upstream/callwidget"
)

// The Redis store is a callwidget.TokenStore too.
var _ callwidget.TokenStore = (*cache.RedisTokens)(nil)

// newEncryptionKey returns a random AES-256 key.
func newEncryptionKey() []byte {
	key := make([]byte, 32)
	rand.Read(key)
	return key
}

func newRedisTokens(t *testing.T, rdb redis.UniversalClient, prefix string, key []byte) *cache.RedisTokens {
	t.Helper()
	s, err := cache.NewRedisTokens(rdb, prefix, key)
	if err != nil {
		t.Fatalf("NewRedisTokens: %v", err)
	}
	return s
}

// secondClient returns another connection pool to the Redis of rdb: a
// second replica's view of the shared store.
func secondClient(t *testing.T, rdb *redis.Client) *redis.Client {
	t.Helper()
	other := redis.NewClient(rdb.Options())
	t.Cleanup(func() { other.Close() })
	return other
}

func TestRedisTokens(t *testing.T) {
	testTokenStore(t, func(t *testing.T) tokenStore {
		rdb, prefix := cacheTestRedis(t)
		return newRedisTokens(t, rdb, prefix, newEncryptionKey())
	})
}

func TestNewRedisTokensRejectsABadConfiguration(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	tests := []struct {
		name string
		rdb  redis.UniversalClient
		key  []byte
	}{
		{"no client is rejected", nil, newEncryptionKey()},
		{"a nil *redis.Client is rejected", (*redis.Client)(nil), newEncryptionKey()},
		{"no encryption key is rejected", rdb, nil},
		{"an AES-128 key is rejected", rdb, make([]byte, 16)},
		{"a key one byte too long is rejected", rdb, make([]byte, 33)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := cache.NewRedisTokens(tt.rdb, "p:", tt.key)
			if err == nil || s != nil {
				t.Fatalf("NewRedisTokens = %v, %v; want nil and an error", s, err)
			}
			if !strings.HasPrefix(err.Error(), "cache: redis tokens: ") {
				t.Errorf("got error %q, want the \"cache: redis tokens: \" prefix", err)
			}
		})
	}
}

func TestRedisTokensRejectsANonPositiveLockTTL(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	s := newRedisTokens(t, rdb, "p:", newEncryptionKey())
	for _, ttl := range []time.Duration{0, -time.Second} {
		if unlock, err := s.Lock(context.Background(), "k", ttl); err == nil {
			unlock()
			t.Errorf("Lock(ttl=%v): got nil error, want one", ttl)
		}
	}
}

func TestRedisTokensStoresNoTokenOrTenantInClear(t *testing.T) {
	rdb, prefix := cacheTestRedis(t)
	s := newRedisTokens(t, rdb, prefix, newEncryptionKey())
	ctx := context.Background()
	tenant := "tenant-" + rand.Text()
	canary := "canary-" + rand.Text()

	mustSwap(t, s, tenant, 0, domain.Secret(canary))
	defer mustLock(t, s, tenant, lockTTL)() // the lock key is checked too

	keys := redisKeys(t, rdb, prefix)
	if len(keys) != 2 {
		t.Fatalf("got %d keys under the prefix, want 2 (value and lock): %q", len(keys), keys)
	}
	var stored []string
	for _, k := range keys {
		switch typ := rdb.Type(ctx, k).Val(); typ {
		case "string":
			stored = append(stored, rdb.Get(ctx, k).Val())
		case "hash":
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				stored = append(stored, f, v)
			}
		default:
			t.Fatalf("key %q is a %q, want a string or a hash", k, typ)
		}
		for _, secret := range []string{canary, tenant} {
			if strings.Contains(k, secret) {
				t.Errorf("key name %q contains %q in clear", k, secret)
			}
		}
	}
	longest := 0
	for _, v := range stored {
		longest = max(longest, len(v))
		if strings.Contains(v, canary) {
			t.Errorf("a stored value contains the token in clear")
		}
	}
	if longest <= len(canary) {
		t.Errorf("got no stored value longer than the token (%d bytes), want its ciphertext", longest)
	}
	assertStored(t, s, tenant, domain.Secret(canary), 1)
}

func TestRedisTokensReplicasShareValuesAndLocks(t *testing.T) {
	rdb, prefix := cacheTestRedis(t)
	key := newEncryptionKey()
	a := newRedisTokens(t, rdb, prefix, key)
	b := newRedisTokens(t, secondClient(t, rdb), prefix, key)

	v1 := mustSwap(t, a, "acct", 0, "from a")
	assertStored(t, b, "acct", "from a", v1)

	v2 := mustSwap(t, b, "acct", v1, "from b")
	assertStored(t, a, "acct", "from b", v2)
	if _, ok, err := a.CompareAndSwap(context.Background(), "acct", v1, "stale"); err != nil || ok {
		t.Fatalf("CompareAndSwap(prev=%d) on the other replica = %v, %v; want false, nil", v1, ok, err)
	}

	unlock := mustLock(t, a, "acct", lockTTL)
	assertExcluded(t, b, "acct")
	unlock()
	mustLock(t, b, "acct", lockTTL)()
}

func TestRedisTokensWithAnotherEncryptionKey(t *testing.T) {
	rdb, prefix := cacheTestRedis(t)
	ctx := context.Background()
	old := newRedisTokens(t, rdb, prefix, newEncryptionKey())
	rotated := newRedisTokens(t, secondClient(t, rdb), prefix, newEncryptionKey())
	v1 := mustSwap(t, old, "acct", 0, "old token")

	t.Run("a value under another key reads as empty at its version", func(t *testing.T) {
		assertStored(t, rotated, "acct", "", v1)
	})

	t.Run("and is replaced by a swap at that version", func(t *testing.T) {
		v2 := mustSwap(t, rotated, "acct", v1, "new token")
		assertStored(t, rotated, "acct", "new token", v2)
		got, ver, err := old.Get(ctx, "acct")
		if err != nil || got != "" || ver != v2 {
			t.Fatalf("old key's Get = %q, %d, %v; want \"\", %d, nil", got.Reveal(), ver, err, v2)
		}
	})
}

func TestRedisTokensRejectsAValueTamperedOrMoved(t *testing.T) {
	rdb, prefix := cacheTestRedis(t)
	ctx := context.Background()
	s := newRedisTokens(t, rdb, prefix, newEncryptionKey())

	va := mustSwap(t, s, "a", 0, "token of a")
	nameA := onlyKey(t, redisKeys(t, rdb, prefix), nil)
	vb := mustSwap(t, s, "b", 0, "token of b")
	nameB := onlyKey(t, redisKeys(t, rdb, prefix), []string{nameA})

	t.Run("a value copied under another key reads as empty", func(t *testing.T) {
		sealedA := rdb.HGet(ctx, nameA, "val").Val()
		if err := rdb.HSet(ctx, nameB, "val", sealedA).Err(); err != nil {
			t.Fatalf("HSET: %v", err)
		}
		assertStored(t, s, "b", "", vb)
	})

	t.Run("a value with a flipped bit reads as empty", func(t *testing.T) {
		sealed := []byte(rdb.HGet(ctx, nameA, "val").Val())
		if len(sealed) == 0 {
			t.Fatalf("found no sealed value under %q", nameA)
		}
		sealed[len(sealed)-1] ^= 1
		if err := rdb.HSet(ctx, nameA, "val", sealed).Err(); err != nil {
			t.Fatalf("HSET: %v", err)
		}
		assertStored(t, s, "a", "", va)
	})
}

// onlyKey returns the one key of keys not in seen.
func onlyKey(t *testing.T, keys, seen []string) string {
	t.Helper()
	var fresh []string
	for _, k := range keys {
		if !slices.Contains(seen, k) {
			fresh = append(fresh, k)
		}
	}
	if len(fresh) != 1 {
		t.Fatalf("got new keys %q, want exactly one", fresh)
	}
	return fresh[0]
}

func TestRedisTokensUnlockWorksAfterTheLockContextEnds(t *testing.T) {
	rdb, prefix := cacheTestRedis(t)
	s := newRedisTokens(t, rdb, prefix, newEncryptionKey())
	ctx, cancel := context.WithCancel(context.Background())
	unlock, err := s.Lock(ctx, "k", lockTTL)
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	cancel()
	unlock()
	wctx, wcancel := context.WithTimeout(context.Background(), blockedFor)
	defer wcancel()
	again, err := s.Lock(wctx, "k", lockTTL)
	if err != nil {
		t.Fatalf("Lock after unlock = %v, want the lock at once", err)
	}
	again()
}

func TestRedisTokensFailWithoutQuotingAValueWhenRedisIsDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: every dial is refused
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialerRetries: 1})
	defer rdb.Close()
	s := newRedisTokens(t, rdb, "p:", newEncryptionKey())
	canary := "canary-" + rand.Text()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	calls := map[string]func() error{
		"Get": func() error { _, _, err := s.Get(ctx, "k"); return err },
		"CompareAndSwap": func() error {
			_, _, err := s.CompareAndSwap(ctx, "k", 0, domain.Secret(canary))
			return err
		},
		"Delete": func() error { return s.Delete(ctx, "k", 1) },
		"Lock":   func() error { _, err := s.Lock(ctx, "k", lockTTL); return err },
	}
	for name, call := range calls {
		t.Run(name+" returns an error at once", func(t *testing.T) {
			start := time.Now()
			err := call()
			if err == nil {
				t.Fatal("got nil error, want one")
			}
			if !strings.HasPrefix(err.Error(), "cache: redis tokens: ") {
				t.Errorf("got error %q, want the \"cache: redis tokens: \" prefix", err)
			}
			if strings.Contains(err.Error(), canary) {
				t.Errorf("error %q quotes the value", err)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("took %v, want a prompt failure", took)
			}
		})
	}
}

func TestRedisTokensBoundEachCallWhenRedisHangs(t *testing.T) {
	// A listener that accepts connections and never answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	conns := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	defer func() {
		l.Close()
		for len(conns) > 0 {
			(<-conns).Close()
		}
	}()
	rdb := redis.NewClient(&redis.Options{Addr: l.Addr().String(), MaxRetries: -1, ContextTimeoutEnabled: true})
	defer rdb.Close()
	s := newRedisTokens(t, rdb, "p:", newEncryptionKey())

	start := time.Now()
	_, _, err = s.Get(context.Background(), "k")
	if err == nil {
		t.Fatal("Get: got nil error, want one")
	}
	if took := time.Since(start); took > 1500*time.Millisecond {
		t.Errorf("Get took %v with no deadline of the caller's, want it bounded near 500ms", took)
	}
}
