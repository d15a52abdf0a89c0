package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"switchboard/internal/domain"
)

// MinCursorKeyBytes is the shortest accepted cursor signing key.
const MinCursorKeyBytes = 32

// Cursor bounds. A cursor carries the ids of the calls already served at
// the instant where its page ended (the next page skips them), at most
// cursorSkipLimit of them; a walk whose page boundary cuts an instant with
// more calls than that fails with upstream-error rather than lose or repeat
// a call (see phonewagon's walk.go). maxCursorLen bounds a whole cursor, on
// the way in and on the way out: numeric upstream ids fit with room to spare.
const (
	cursorVersion   = 2 // version 1 cursors (no skip ids) are refused as invalid-cursor
	mirrorVersion   = 3 // a mirror cursor: a keyset, not an upstream request (cursor_mirror.go)
	cursorSkipLimit = 100
	maxCursorLen    = 4096
)

// cursorPayload is what a calls cursor carries: the upstream request of the
// next page and what it is bound to. It holds no URL and no credential; the
// upstream host is always the tenant's configured one.
type cursorPayload struct {
	Version  int      `json:"v"`
	Tenant   string   `json:"t"`
	Query    string   `json:"q"` // digest of the normalized filters it belongs to
	Start    int64    `json:"s,omitempty"`
	End      int64    `json:"e,omitempty"`
	PageSize int      `json:"n"`
	Company  string   `json:"c,omitempty"`
	Campaign string   `json:"g,omitempty"`
	Skip     []string `json:"k,omitempty"` // ids served at End
	// At and ID are a mirror cursor's keyset: the last call served (its
	// start time in epoch ms, its id). Company and Campaign then hold the
	// company id and the campaign name the mirror is queried by.
	At int64  `json:"a,omitempty"`
	ID string `json:"i,omitempty"`
}

// cursorSigner makes and checks tamper-evident cursors: base64url(payload)
// "." base64url(HMAC-SHA256(key, payload)). Any change to either half, a
// cursor of another tenant, or one reused with other filters is refused.
type cursorSigner struct {
	key []byte
}

func (c cursorSigner) sign(p cursorPayload) (string, error) {
	if p.Version == 0 {
		p.Version = cursorVersion
	}
	body, _ := json.Marshal(p) // a struct of strings and ints cannot fail
	enc := base64.RawURLEncoding
	cursor := enc.EncodeToString(body) + "." + enc.EncodeToString(c.mac(body))
	if len(cursor) > maxCursorLen {
		return "", &domain.Error{Code: domain.CodeUpstreamError,
			Message: "the upstream's call ids are too long to continue this listing; ask for larger pages"}
	}
	return cursor, nil
}

func (c cursorSigner) mac(body []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write(body)
	return m.Sum(nil)
}

var errCursor = errors.New("cursor check failed")

// open returns what a cursor carries, provided it was made by this gateway
// for this tenant and these filters; an upstream and a mirror cursor both
// open, and Version tells them apart.
func (c cursorSigner) open(cursor, tenant, query string) (cursorPayload, error) {
	invalid := func(cause error) (cursorPayload, error) {
		return cursorPayload{}, &domain.Error{Code: domain.CodeInvalidCursor,
			Message: "cursor is not valid for this request; start again without it", Err: cause}
	}
	if len(cursor) > maxCursorLen {
		return invalid(errors.New("cursor too long"))
	}
	b64, sig64, ok := strings.Cut(cursor, ".")
	if !ok {
		return invalid(errCursor)
	}
	enc := base64.RawURLEncoding
	body, err1 := enc.DecodeString(b64)
	sig, err2 := enc.DecodeString(sig64)
	if err1 != nil || err2 != nil || !hmac.Equal(sig, c.mac(body)) {
		return invalid(errCursor)
	}
	var p cursorPayload
	if err := json.Unmarshal(body, &p); err != nil || (p.Version != cursorVersion && p.Version != mirrorVersion) {
		return invalid(errCursor)
	}
	if p.Tenant != tenant || p.Query != query {
		return invalid(errors.New("cursor bound to another tenant or query"))
	}
	if len(p.Skip) > cursorSkipLimit {
		return invalid(errors.New("cursor skips too many ids"))
	}
	return p, nil
}

// verify returns the upstream page request a cursor stands for, provided it
// was made by this gateway for this tenant and these filters. A mirror
// cursor is not one.
func (c cursorSigner) verify(cursor, tenant, query string) (domain.CallsQuery, error) {
	p, err := c.open(cursor, tenant, query)
	if err != nil {
		return domain.CallsQuery{}, err
	}
	if p.Version != cursorVersion {
		return domain.CallsQuery{}, &domain.Error{Code: domain.CodeInvalidCursor,
			Message: "cursor is not valid for this request; start again without it", Err: errCursor}
	}
	return p.upstreamQuery(), nil
}

// upstreamQuery is the upstream page request an upstream cursor carries.
func (p cursorPayload) upstreamQuery() domain.CallsQuery {
	q := domain.CallsQuery{CompanyID: p.Company, CampaignID: p.Campaign, PageSize: p.PageSize,
		Skip: p.Skip, SkipLimit: cursorSkipLimit}
	if p.Start != 0 {
		q.Start = time.UnixMilli(p.Start).UTC()
	}
	if p.End != 0 {
		q.End = time.UnixMilli(p.End).UTC()
	}
	return q
}

// cursorFor encodes the next page's request.
func (c cursorSigner) cursorFor(next domain.CallsQuery, tenant, query string) (string, error) {
	p := cursorPayload{Tenant: tenant, Query: query, PageSize: next.PageSize,
		Company: next.CompanyID, Campaign: next.CampaignID, Skip: next.Skip}
	if !next.Start.IsZero() {
		p.Start = next.Start.UnixMilli()
	}
	if !next.End.IsZero() {
		p.End = next.End.UnixMilli()
	}
	return c.sign(p)
}
