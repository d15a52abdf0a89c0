package cache

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// ETag returns the strong validator of a response body: the quoted
// base64url of the first 128 bits of its SHA-256. Equal bodies have equal
// tags on every replica, so a tag obtained from one replica validates
// against another.
func ETag(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}

// ETagMatches reports whether the If-None-Match header value ifNoneMatch
// matches etag. It uses the weak comparison RFC 9110 §13.1.2 requires for
// If-None-Match (a W/ prefix on either side is ignored), accepts "*", and
// treats a malformed list as not matching, so a bad header costs a full
// response, never a wrong 304.
func ETagMatches(ifNoneMatch, etag string) bool {
	etag = strings.TrimPrefix(etag, "W/")
	if etag == "" {
		return false
	}
	if strings.TrimSpace(ifNoneMatch) == "*" {
		return true
	}
	s := ifNoneMatch
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return false
		}
		s = strings.TrimPrefix(s, "W/")
		if s == "" || s[0] != '"' {
			return false
		}
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return false
		}
		if s[:end+2] == etag {
			return true
		}
		s = s[end+2:]
	}
}
