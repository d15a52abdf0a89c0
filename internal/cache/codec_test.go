package cache

import (
	"bytes"
	"testing"
	"time"
)

func FuzzDecodeEntry(f *testing.F) {
	f.Add(encodeEntry(Entry{Body: []byte(`{"a":1}`), ETag: `"x"`, Header: map[string]string{"Link": "l"}, StoredAt: time.Unix(1, 2), FreshFor: time.Second}))
	f.Add([]byte{entryVersion, 0xff, 0xff, 0xff})
	f.Add([]byte{entryVersion, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x10})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry(b)
		if err != nil {
			return
		}
		again, err := decodeEntry(encodeEntry(e))
		if err != nil || !bytes.Equal(again.Body, e.Body) || again.ETag != e.ETag || !again.StoredAt.Equal(e.StoredAt) {
			t.Fatalf("re-encoding %q: got %+v, %v; want %+v", b, again, err, e)
		}
	})
}

func TestDecodeRejectsTruncatedValues(t *testing.T) {
	entry := encodeEntry(Entry{ETag: `"tag"`, Header: map[string]string{"Link": "<x>"}, StoredAt: time.Unix(1700000000, 5), FreshFor: time.Minute})
	// The encoding ends with an empty body, so every proper prefix cuts a
	// field short.
	for n := range len(entry) {
		if _, err := decodeEntry(entry[:n]); err == nil {
			t.Errorf("decodeEntry of the first %d of %d bytes: got nil error, want one", n, len(entry))
		}
	}
}
