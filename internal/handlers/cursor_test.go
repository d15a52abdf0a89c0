package handlers

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/domain"
)

func TestCursorCarriesTheSkippedIDsOfTheNextPage(t *testing.T) {
	c := cursorSigner{key: []byte(strings.Repeat("k", 32))}
	next := domain.CallsQuery{CompanyID: "7", Start: time.UnixMilli(1_000).UTC(), End: time.UnixMilli(1_575_322_416_000).UTC(),
		PageSize: 3, Skip: []string{"6315", "6314"}}
	cur, err := c.cursorFor(next, "acme", "digest")
	if err != nil {
		t.Fatalf("got error %v, want a cursor", err)
	}
	got, err := c.verify(cur, "acme", "digest")
	if err != nil {
		t.Fatalf("got error %v, want the query back", err)
	}
	want := next
	want.SkipLimit = cursorSkipLimit
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestCursorRefusals(t *testing.T) {
	c := cursorSigner{key: []byte(strings.Repeat("k", 32))}
	// signed signs p as version, as this or an older gateway did.
	signed := func(p cursorPayload, version int) string {
		p.Version = version
		body, _ := json.Marshal(p)
		enc := base64.RawURLEncoding
		return enc.EncodeToString(body) + "." + enc.EncodeToString(c.mac(body))
	}
	tooMany := make([]string, cursorSkipLimit+1)
	for i := range tooMany {
		tooMany[i] = strconv.Itoa(i)
	}
	tests := []struct {
		name   string
		cursor string
	}{
		{"a version 1 cursor, made before skipped ids existed", signed(cursorPayload{Tenant: "acme", Query: "d", PageSize: 5, End: 1_575_322_415_999}, 1)},
		{"a cursor skipping more ids than the bound", signed(cursorPayload{Tenant: "acme", Query: "d", PageSize: 5, End: 1, Skip: tooMany}, cursorVersion)},
		{"a cursor longer than the bound", strings.Repeat("a", maxCursorLen+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is an invalid cursor", func(t *testing.T) {
			_, err := c.verify(tt.cursor, "acme", "d")
			if got := domain.ErrorCode(err); got != domain.CodeInvalidCursor {
				t.Errorf("got code %s (%v), want %s", got, err, domain.CodeInvalidCursor)
			}
		})
	}
}

func TestCursorOfTheMostSkippedIDsStaysWithinItsBound(t *testing.T) {
	c := cursorSigner{key: []byte(strings.Repeat("k", 32))}
	skip := make([]string, cursorSkipLimit)
	for i := range skip {
		skip[i] = strconv.Itoa(1_000_000_000_000 + i) // 13 digits: far longer than the upstream's ids
	}
	next := domain.CallsQuery{CompanyID: "12345678901234567890", CampaignID: strings.Repeat("c", 64),
		Start: time.UnixMilli(1).UTC(), End: time.UnixMilli(253402300799999).UTC(), PageSize: 1000, Skip: skip}
	cur, err := c.cursorFor(next, strings.Repeat("t", 64), strings.Repeat("d", 24))
	if err != nil || len(cur) > maxCursorLen {
		t.Fatalf("got a cursor of %d characters, error %v; want one within %d", len(cur), err, maxCursorLen)
	}
	long := next
	long.Skip = []string{strings.Repeat("9", maxCursorLen)}
	if _, err := c.cursorFor(long, "acme", "d"); domain.ErrorCode(err) != domain.CodeUpstreamError {
		t.Errorf("got %v for ids too long to carry, want an upstream error", err)
	}
}
