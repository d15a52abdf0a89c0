package cache_test

import (
	"strings"
	"testing"

	"switchboard/internal/cache"
)

func TestKey(t *testing.T) {
	t.Run("parts split differently give different keys", func(t *testing.T) {
		for _, pair := range [][2][]string{
			{{"a", "b"}, {"ab", ""}},
			{{"a", "b"}, {"a", "b", ""}},
			{{"acme", "/v1/tags"}, {"acme/", "v1/tags"}},
			{{""}, {}},
			{{"a\x00", "b"}, {"a", "\x00b"}},
		} {
			if cache.Key(pair[0]...) == cache.Key(pair[1]...) {
				t.Errorf("Key(%q) == Key(%q), want them different", pair[0], pair[1])
			}
		}
	})

	t.Run("equal parts give equal keys", func(t *testing.T) {
		if a, b := cache.Key("acme", "/v1/calls", "limit=10"), cache.Key("acme", "/v1/calls", "limit=10"); a != b {
			t.Fatalf("got %q and %q, want equal keys", a, b)
		}
	})

	t.Run("a key shows nothing of its parts and is safe in Redis", func(t *testing.T) {
		k := cache.Key("acme-corp", "/v1/calls", "company_id=12345")
		for _, clear := range []string{"acme", "calls", "12345"} {
			if strings.Contains(k, clear) {
				t.Errorf("got key %q, want no %q in it", k, clear)
			}
		}
		if strings.ContainsAny(k, " :*?[]{}\n") {
			t.Errorf("got key %q, want only base64url characters", k)
		}
	})
}

func TestETag(t *testing.T) {
	body := []byte(`{"data":[]}`)
	tag := cache.ETag(body)

	t.Run("it is a strong quoted tag of the body", func(t *testing.T) {
		if !strings.HasPrefix(tag, `"`) || !strings.HasSuffix(tag, `"`) || len(tag) < 3 {
			t.Fatalf("got %q, want a quoted strong tag", tag)
		}
		if other := cache.ETag([]byte(`{"data":[1]}`)); other == tag {
			t.Fatalf("got %q for two bodies, want different tags", tag)
		}
	})

	for _, tc := range []struct {
		name, header string
		want         bool
	}{
		{"the exact tag matches", tag, true},
		{"the tag in a list matches", `"zzz", ` + tag, true},
		{"a weak form of the tag matches", "W/" + tag, true},
		{"a star matches", "*", true},
		{"another tag does not match", `"zzz"`, false},
		{"the tag without quotes does not match", strings.Trim(tag, `"`), false},
		{"an empty header does not match", "", false},
		{"an unterminated tag does not match", `"zzz, ` + tag[:len(tag)-1], false},
		{"a star inside a list does not match", `"zzz", *`, false},
	} {
		t.Run("If-None-Match: "+tc.name, func(t *testing.T) {
			if got := cache.ETagMatches(tc.header, tag); got != tc.want {
				t.Fatalf("ETagMatches(%q) = %v, want %v", tc.header, got, tc.want)
			}
		})
	}
}
