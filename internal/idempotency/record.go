package idempotency

import (
	"encoding/json"
	"fmt"
	"time"
)

// recordVersion is the layout of an encoded Record; a value of another
// version is ErrCorrupt, never a replay of something misread.
const recordVersion = 1

// storedRecord is the JSON layout of a Record. Records are small (an action
// answer or a problem document), so JSON's base64 body costs little and
// keeps the stored form readable with redis-cli.
type storedRecord struct {
	Version   int               `json:"v"`
	BodyHash  string            `json:"h"`
	Status    int               `json:"s"`
	Header    map[string]string `json:"hd,omitempty"`
	Body      []byte            `json:"b"`
	CreatedAt time.Time         `json:"t"`
}

func encodeRecord(r Record) []byte {
	b, _ := json.Marshal(storedRecord{Version: recordVersion, BodyHash: r.BodyHash, Status: r.Status,
		Header: r.Header, Body: r.Body, CreatedAt: r.CreatedAt}) // strings, ints and bytes cannot fail
	return b
}

func decodeRecord(b []byte) (Record, error) {
	var s storedRecord
	if err := json.Unmarshal(b, &s); err != nil || s.Version != recordVersion || s.Status < 100 || s.Status > 599 {
		return Record{}, fmt.Errorf("%w: record", ErrCorrupt)
	}
	return Record{BodyHash: s.BodyHash, Status: s.Status, Header: s.Header, Body: s.Body, CreatedAt: s.CreatedAt}, nil
}
