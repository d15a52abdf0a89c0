package cache

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"io"
)

// Key derives a cache key from its parts, typically the tenant id, the
// upstream account, the route and the normalized query. The result is the
// base64url SHA-256 of the parts, so a key never carries tenant data or
// query text in clear, and it is safe in a Redis key or a log line.
//
// Each part is length-prefixed before hashing, so part boundaries are part
// of the key: Key("a", "b") and Key("ab", "") differ, and one tenant's key
// can never be spelled by another tenant's parts.
func Key(parts ...string) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, p := range parts {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
		io.WriteString(h, p)
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}
