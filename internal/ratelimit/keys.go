package ratelimit

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
)

// maxKeyPart is the longest escaped name used verbatim in a key; longer ones
// are hashed so that a key stays short whatever the name.
const maxKeyPart = 128

// hashTag returns the Redis Cluster hash tag for name: "{" + part + "}". Every
// key of one account or limiter key carries the same tag, so a script or
// MGET touching several of them stays on one slot.
//
// The name is query-escaped, which turns '{', '}', ':' and spaces into %XX,
// so a name can neither end the tag early nor forge another name's key; it
// stays readable for someone inspecting Redis. A name whose escaped form is
// longer than maxKeyPart is replaced by "sha256:" + its hex digest, which no
// escaped name can collide with since escaping never leaves a ':'.
func hashTag(name string) string {
	part := url.QueryEscape(name)
	if len(part) > maxKeyPart {
		sum := sha256.Sum256([]byte(name))
		part = "sha256:" + hex.EncodeToString(sum[:])
	}
	return "{" + part + "}"
}
