package cache

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
)

// Key derives a cache key from its parts, typically the tenant id, the
// upstream account, the route and the normalized query. The result is the
// base64url SHA-256 of the parts, so a key never carries tenant data or
// query text in clear, and it is safe in a Redis key or a log line.
//
// Each part is length-prefixed before hashing, so part boundaries are part
// of the key: Key("a", "b") and Key("ab", "") differ, and one tenant's key
// can never be spelled by another tenant's parts. The parts are laid out in
// a stack buffer (it grows on the heap only past 512 bytes), since Key runs
// on every cache hit, and
// encoded on the stack too, so a key costs one allocation: its string.
func Key(parts ...string) string {
	var stack [512]byte
	buf := stack[:0]
	for _, p := range parts {
		buf = binary.AppendUvarint(buf, uint64(len(p)))
		buf = append(buf, p...)
	}
	sum := sha256.Sum256(buf)
	var key [43]byte // base64.RawURLEncoding.EncodedLen(sha256.Size)
	base64.RawURLEncoding.Encode(key[:], sum[:])
	return string(key[:])
}
