package idempotency

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodeRecord(Record{BodyHash: "h", Status: 201, Body: []byte("{}"), Header: map[string]string{"A": "b"}}))
	f.Add([]byte(`{"v":1,"s":99}`))
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

func TestDecodeRecordRejectsTruncatedValues(t *testing.T) {
	record := encodeRecord(Record{BodyHash: "hash", Status: 202, Header: map[string]string{"A": "b"}, CreatedAt: time.Unix(1700000000, 5)})
	for n := range len(record) {
		if _, err := decodeRecord(record[:n]); !errors.Is(err, ErrCorrupt) {
			t.Errorf("decodeRecord of the first %d of %d bytes: got %v, want ErrCorrupt", n, len(record), err)
		}
	}
}
