package events

import (
	"strings"
	"testing"
)

func TestRedisStreamKeyHashTag(t *testing.T) {
	l := NewRedisLog(nil, "p:", 0)
	for _, account := range []string{"acme-client", "a}b{c", ""} {
		key := l.StreamKey(account)
		open, close := strings.Index(key, "{"), strings.Index(key, "}")
		tag := key[open+1 : close]
		if len(tag) != 16 || strings.Contains(key, account+"}") && account != "" {
			t.Errorf("account %q: got key %q, want a 16-hex hash tag that is not the account", account, key)
		}
	}
	if l.StreamKey("a") == l.StreamKey("b") {
		t.Fatal("got one key for two accounts, want one each")
	}
}
