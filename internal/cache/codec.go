package cache

import (
	"encoding/binary"
	"errors"
	"slices"
	"time"
)

// The Redis stores encode values in a small binary layout rather than JSON:
// bodies are already JSON and would otherwise be escaped or base64-encoded a
// second time. The first byte of every value is a layout version; a reader
// treats a version it does not know as absent, so replicas running two
// releases side by side during a deploy miss each other's entries instead of
// misreading them.

// errCorrupt reports a value that does not decode.
var errCorrupt = errors.New("cache: corrupt value")

// encoder appends fields to buf.
type encoder struct{ buf []byte }

func (e *encoder) uvarint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }
func (e *encoder) varint(v int64)   { e.buf = binary.AppendVarint(e.buf, v) }

func (e *encoder) string(s string) {
	e.uvarint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// time keeps seconds and nanoseconds apart: UnixNano overflows for the zero
// time.
func (e *encoder) time(t time.Time) {
	e.varint(t.Unix())
	e.uvarint(uint64(t.Nanosecond()))
}

// header writes h in sorted key order, so equal headers encode equally.
func (e *encoder) header(h map[string]string) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	e.uvarint(uint64(len(keys)))
	for _, k := range keys {
		e.string(k)
		e.string(h[k])
	}
}

// decoder reads fields from buf. The first failure sticks in err and every
// later read returns a zero value, so a caller checks err once at the end.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.buf)) {
		d.err = errCorrupt
		return ""
	}
	s := string(d.buf[:n])
	d.buf = d.buf[n:]
	return s
}

func (d *decoder) time() time.Time {
	sec, nsec := d.varint(), d.uvarint()
	if d.err != nil {
		return time.Time{}
	}
	if nsec >= uint64(time.Second) {
		d.err = errCorrupt
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

func (d *decoder) header() map[string]string {
	n := d.uvarint()
	if d.err != nil || n == 0 {
		return nil
	}
	// Every pair takes at least two bytes, which bounds a corrupt count.
	if n > uint64(len(d.buf))/2 {
		d.err = errCorrupt
		return nil
	}
	h := make(map[string]string, n)
	for range n {
		k := d.string()
		h[k] = d.string()
	}
	return h
}

// rest returns the remaining bytes, which is how a body is stored: last and
// without a length.
func (d *decoder) rest() []byte {
	if d.err != nil {
		return nil
	}
	b := d.buf
	d.buf = nil
	return b
}

// entryVersion is the layout of an encoded Entry.
const entryVersion = 1

// encodeEntry lays out e as: version, StoredAt, FreshFor, ETag, Header, Body.
func encodeEntry(e Entry) []byte {
	enc := encoder{buf: make([]byte, 0, 64+len(e.ETag)+len(e.Body))}
	enc.buf = append(enc.buf, entryVersion)
	enc.time(e.StoredAt)
	enc.varint(int64(e.FreshFor))
	enc.string(e.ETag)
	enc.header(e.Header)
	enc.buf = append(enc.buf, e.Body...)
	return enc.buf
}

// decodeEntry is the inverse of encodeEntry.
func decodeEntry(b []byte) (Entry, error) {
	if len(b) == 0 || b[0] != entryVersion {
		return Entry{}, errCorrupt
	}
	d := decoder{buf: b[1:]}
	e := Entry{StoredAt: d.time(), FreshFor: time.Duration(d.varint())}
	e.ETag = d.string()
	e.Header = d.header()
	e.Body = d.rest()
	if d.err != nil {
		return Entry{}, d.err
	}
	return e, nil
}
