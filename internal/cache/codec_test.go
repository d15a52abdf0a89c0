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

func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodeRecord(Record{BodyHash: "h", Status: 201, Body: []byte("{}"), Header: map[string]string{"A": "b"}}))
	f.Add([]byte{recordVersion, 3, 'a'})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			return
		}
		again, err := decodeRecord(encodeRecord(r))
		if err != nil || again.BodyHash != r.BodyHash || again.Status != r.Status || !bytes.Equal(again.Body, r.Body) {
			t.Fatalf("re-encoding %q: got %+v, %v; want %+v", b, again, err, r)
		}
	})
}

func TestDecodeRejectsTruncatedValues(t *testing.T) {
	entry := encodeEntry(Entry{ETag: `"tag"`, Header: map[string]string{"Link": "<x>"}, StoredAt: time.Unix(1700000000, 5), FreshFor: time.Minute})
	record := encodeRecord(Record{BodyHash: "hash", Status: 202, Header: map[string]string{"A": "b"}})
	// Both encodings end with an empty body, so every proper prefix cuts a
	// field short.
	for n := range len(entry) {
		if _, err := decodeEntry(entry[:n]); err == nil {
			t.Errorf("decodeEntry of the first %d of %d bytes: got nil error, want one", n, len(entry))
		}
	}
	for n := range len(record) {
		if _, err := decodeRecord(record[:n]); err == nil {
			t.Errorf("decodeRecord of the first %d of %d bytes: got nil error, want one", n, len(record))
		}
	}
}
