package mirror

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/domain"
)

// The serving order, shared by every Store so that a keyset cursor walks
// the same sequence whichever store answers it.
//
// A position is encoded as a sort member: 13 digits of StartedAt (epoch
// milliseconds, zero-padded) followed by the sortable id. Byte-wise order of
// members (Go's string comparison, Redis's ZRANGEBYLEX) is the history's
// order from oldest to newest, so serving order (newest first) is the
// reverse. Ids compare as follows, a total order in which Phonewagon's
// numeric ids compare as numbers:
//
//   - an id of 1..999 ASCII digits is "0" + its length in 3 digits + the
//     digits: digit ids order by length, then digit by digit, that is
//     numerically when they have no leading zeros ("9" < "10");
//   - any other id (letters, empty, longer) is "1" + its bytes, and orders
//     byte-wise after every digit id.
//
// StartedAt is clamped to [0, maxMillis]: a call without a start time, or
// one before 1970, sorts as 0 (the oldest).

// maxMillis is the largest start time a 13-digit member holds (year 2286).
const maxMillis = 9_999_999_999_999

// maxQueryLimit is the largest page a Query returns.
const maxQueryLimit = 1000

// ErrInvalidQuery is returned by Query for a query the store cannot answer:
// a Limit outside 1..1000 or a CampaignName without its CompanyID.
var ErrInvalidQuery = errors.New("mirror: invalid query")

// clampMillis keeps ms within what a member can hold.
func clampMillis(ms int64) int64 {
	return min(max(ms, 0), maxMillis)
}

// memberMillis returns t in epoch milliseconds, clamped.
func memberMillis(t time.Time) int64 {
	return clampMillis(t.UnixMilli())
}

// callKey returns the position of c in serving order.
func callKey(c domain.Call) Key {
	k := Key{ID: c.ID}
	if c.StartedAt != nil {
		k.StartedAt = memberMillis(*c.StartedAt)
	}
	return k
}

// sortMember encodes k as a sort member (see above).
func sortMember(k Key) string {
	return millisMember(clampMillis(k.StartedAt)) + sortableID(k.ID)
}

// millisMember is the 13-digit form of ms, itself a lower bound of every
// member at ms.
func millisMember(ms int64) string {
	s := strconv.FormatInt(ms, 10)
	return strings.Repeat("0", 13-len(s)) + s
}

// sortableID encodes id so that byte order is the id order of serving.
func sortableID(id string) string {
	if n := len(id); n > 0 && n <= 999 && digitsOnly(id) {
		l := strconv.Itoa(n)
		return "0" + strings.Repeat("0", 3-len(l)) + l + id
	}
	return "1" + id
}

// digitsOnly reports whether s holds only ASCII digits.
func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// CompareKeys orders a and b in serving order: negative when a is served
// before b (a is newer, or as new with a greater id), zero when equal.
func CompareKeys(a, b Key) int {
	return strings.Compare(sortMember(b), sortMember(a))
}

// ceilMillis returns t in epoch milliseconds rounded up, clamped: a call
// at millisecond ms started before t exactly when ms < ceilMillis(t).
func ceilMillis(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.Sub(time.UnixMilli(ms)) > 0 {
		ms++
	}
	return clampMillis(ms)
}

// memberBounds returns the member range a query walks: members strictly below
// upper (the newest end, exclusive) and at or above lower (inclusive), an
// empty lower meaning none. upper "" means no upper bound.
func memberBounds(q Query) (upper, lower string) {
	if !q.Until.IsZero() {
		upper = millisMember(ceilMillis(q.Until))
	}
	if q.After != nil {
		if a := sortMember(*q.After); upper == "" || a < upper {
			upper = a
		}
	}
	if !q.Since.IsZero() {
		lower = millisMember(ceilMillis(q.Since))
	}
	return upper, lower
}

// checkStoreQuery returns ErrInvalidQuery (wrapped) for a query no store answers.
func checkStoreQuery(q Query) error {
	if q.Limit < 1 || q.Limit > maxQueryLimit {
		return fmt.Errorf("%w: limit %d is outside 1..%d", ErrInvalidQuery, q.Limit, maxQueryLimit)
	}
	if q.CampaignName != "" && q.CompanyID == "" {
		return fmt.Errorf("%w: a campaign filter needs its company", ErrInvalidQuery)
	}
	return nil
}

// canonicalRecord returns the normalized record a store holds for c, compares
// to detect a change, and serves as is: the JSON GET /v1/calls serves for
// the call, with the start time in UTC. encoding/json writes struct fields
// in declaration order, so equal calls give equal bytes, and the record is
// a fixed point of decoding and encoding again (what a page read from the
// store and encoded would hold): the one encoding that is not — bytes that
// are not UTF-8, which encoding/json writes as the escape \ufffd and reads
// back as U+FFFD, written raw the next time — is resolved by encoding the
// decoded call once more.
func canonicalRecord(c domain.Call) ([]byte, error) {
	b, err := marshalCall(c)
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(b, []byte(`\ufffd`)) {
		return b, nil
	}
	d, err := decodeRecord(b)
	if err != nil {
		return nil, err
	}
	return marshalCall(d)
}

// marshalCall encodes c with its start time in UTC.
func marshalCall(c domain.Call) ([]byte, error) {
	if c.StartedAt != nil {
		t := c.StartedAt.UTC()
		c.StartedAt = &t
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("mirror: encode call %q: %w", c.ID, err)
	}
	return b, nil
}

// legacyRecord returns the record a store of the first format held for c:
// its JSON (encoded once) without the members that are null. A RedisStore
// may still hold such records (see envelope); they are read by decoding.
func legacyRecord(c domain.Call) ([]byte, error) {
	b, err := marshalCall(c)
	if err != nil {
		return nil, err
	}
	return stripNulls(b), nil
}

// stripNulls removes the object members whose value is null from compact
// JSON (as json.Marshal writes it). A string followed by ':' is a member's
// name; strings are skipped whole, so text inside them is never touched.
func stripNulls(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		if b[i] != '"' {
			out = append(out, b[i])
			i++
			continue
		}
		j := endOfString(b, i)
		if v := j + 1; j < len(b) && b[j] == ':' && v+4 < len(b) && string(b[v:v+4]) == "null" &&
			(b[v+4] == ',' || b[v+4] == '}') {
			if b[v+4] == ',' {
				i = v + 5 // the member and the comma after it
				continue
			}
			if n := len(out); n > 0 && out[n-1] == ',' {
				out = out[:n-1] // the last member: drop the comma before it
			}
			i = v + 4
			continue
		}
		out = append(out, b[i:j]...)
		i = j
	}
	return out
}

// endOfString returns the index after the string that starts at b[i].
func endOfString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// decodeRecord reads a record written by canonicalRecord or legacyRecord.
func decodeRecord(b []byte) (domain.Call, error) {
	var c domain.Call
	if err := json.Unmarshal(b, &c); err != nil {
		return domain.Call{}, fmt.Errorf("mirror: decode call: %w", err)
	}
	return c, nil
}

// orEmpty returns *p, or "" for nil.
func orEmpty(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// encodeState and decodeState give both stores one representation of
// State, so that it round-trips identically (and the memory store keeps no
// alias of the caller's Backfill).
func encodeState(s State) ([]byte, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("mirror: encode state: %w", err)
	}
	return b, nil
}

func decodeState(b []byte) (State, error) {
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return State{}, fmt.Errorf("mirror: decode state: %w", err)
	}
	return s, nil
}

// idOfMember returns the id a member encodes.
func idOfMember(m string) string {
	if len(m) > 13 && m[13] == '0' && len(m) >= 17 {
		return m[17:]
	}
	if len(m) > 13 {
		return m[14:]
	}
	return ""
}

// keyOfMember returns the key a member encodes.
func keyOfMember(m string) (Key, error) {
	if len(m) < 14 {
		return Key{}, fmt.Errorf("mirror: corrupt sort member %q", m)
	}
	ms, err := strconv.ParseInt(m[:13], 10, 64)
	if err != nil {
		return Key{}, fmt.Errorf("mirror: corrupt sort member %q", m)
	}
	return Key{StartedAt: ms, ID: idOfMember(m)}, nil
}
