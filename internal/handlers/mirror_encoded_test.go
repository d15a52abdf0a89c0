package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/mirror"
	"switchboard/internal/redistest"
	"switchboard/internal/upstream/phonewagon"
)

// decodingMirror serves pages decoded when decode is set, whatever the
// query asks: the answer as it was before pages were joined from the
// stored JSON, to compare with.
type decodingMirror struct {
	*mirror.Reader
	decode atomic.Bool
}

func (m *decodingMirror) Query(ctx context.Context, q mirror.Query) (mirror.Page, error) {
	if m.decode.Load() {
		q.Encoded = false
	}
	return m.Reader.Query(ctx, q)
}

// hostileUpstreamCalls returns calls as the Phonewagon client normalizes
// them from records as awkward as the upstream's: numbers as strings and
// strings as numbers, nulls and empty strings, a dozen calls in one second
// whose ids cross a digit count, text encoding/json escapes (quotes,
// backslashes, HTML, control characters, U+2028), non-ASCII names, bytes
// that are not UTF-8, a call without a start time.
func hostileUpstreamCalls(t *testing.T) []domain.Call {
	t.Helper()
	texts := []string{
		`O\"Brien \\ \"sale\":null,\"x\":1 {}`,
		`<script>alert('&')</script>`,
		`Zoë Ñandú 名前 👋 \ud83d\ude00`,
		`line\u2028sep\u2029para\ttab\u0000nul\u001fus`,
		"not utf-8: \xff\xfe\xc3",
		`a literal \\ufffd`,
		``,
	}
	const second = 1_762_000_000_000
	var records []string
	for i := range 12 {
		id := fmt.Sprint(9995 + i)
		if i%2 == 0 {
			id = `"` + id + `"`
		}
		start := fmt.Sprint(second)
		if i%3 == 0 {
			start = `"` + start + `"`
		}
		company := []string{`1001`, `"1002"`}[i%2]
		duration := []string{`54`, `"61"`, `null`, `""`}[i%4]
		first := []string{`"1"`, `false`, `null`, `"TRUE"`}[i%4]
		records = append(records, fmt.Sprintf(`{"id":%s,"start_time":%s,"company_id":%s,"account_id":"696",`+
			`"campaign_name":"%s","contact_name":"%s","keyword":"%s","utm_campaign":"%s","duration":%s,`+
			`"is_first_time_caller":%s,"sid":null,"direction":"inbound","status":"completed",`+
			`"from_number":"+13055550100","to_number":"+18445551234","recording_url":null,"gclid":""}`,
			id, start, company, texts[i%len(texts)], texts[(i+1)%len(texts)], texts[(i+2)%len(texts)],
			texts[(i+3)%len(texts)], duration, first))
	}
	records = append(records,
		`{"id":"8000","start_time":"1761999999000","company_id":1001,"contact_name":null}`,
		`{"id":7999,"start_time":null,"company_id":"1002","campaign_name":"Zoë"}`,
		`{"id":"abc","start_time":1761999999000}`)
	body := `{"calls":[` + strings.Join(records, ",") + `],"next":null}`
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(upstream.Close)
	client, err := phonewagon.New(phonewagon.Config{BaseURL: upstream.URL, ClientID: "acme-client", ClientSecret: "acme-secret"})
	if err != nil {
		t.Fatal(err)
	}
	page, _, err := client.Calls(context.Background(), domain.CallsQuery{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Calls) != len(records) {
		t.Fatalf("the client read %d calls of %d", len(page.Calls), len(records))
	}
	return page.Calls
}

// TestMirrorPagesAreTheBytesOfTheDecodedPages checks that a page joined
// from the stored JSON is, byte for byte and header for header, the page
// the mirror answered when it decoded the calls and encoded them again: on
// both stores, for hostile records, through every page of several walks,
// and with If-None-Match.
func TestMirrorPagesAreTheBytesOfTheDecodedPages(t *testing.T) {
	calls := hostileUpstreamCalls(t)
	stores := []struct {
		name string
		open func(t *testing.T) mirrorStoreForBench
	}{
		{"memory", func(*testing.T) mirrorStoreForBench { return mirror.NewMemoryStore(nil) }},
		{"redis", func(t *testing.T) mirrorStoreForBench {
			rdb, prefix := redistest.Open(t)
			return mirror.NewRedisStore(rdb, prefix)
		}},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			store := st.open(t)
			fence, ok, err := store.Acquire(ctx, "acme-client", "test", time.Minute)
			if err != nil || !ok {
				t.Fatalf("acquire: %v %v", ok, err)
			}
			if _, err := store.Upsert(ctx, "acme-client", fence, calls); err != nil {
				t.Fatal(err)
			}
			synced := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
			if err := store.SaveState(ctx, "acme-client", fence, mirror.State{CoveredFrom: time.Unix(0, 0), SyncedAt: synced, BackfillDone: true}); err != nil {
				t.Fatal(err)
			}
			m := &decodingMirror{Reader: &mirror.Reader{Store: store, Follows: store, Account: "acme-client"}}
			g := newSimGateway(t, simOptions{calls: 5, mirror: m})
			since := url.QueryEscape(time.UnixMilli(1_761_999_999_000).UTC().Format(time.RFC3339))
			until := url.QueryEscape(time.UnixMilli(1_762_000_000_000).UTC().Format(time.RFC3339))
			for _, path := range []string{
				"/v1/calls?limit=100",
				"/v1/calls?limit=1",
				"/v1/calls?limit=5",
				"/v1/calls?limit=3&company_id=1002",
				"/v1/calls?limit=2&since=" + since,
				"/v1/calls?limit=4&since=" + since + "&until=" + until,
				"/v1/calls?limit=10&company_id=9999",
			} {
				t.Run(path, func(t *testing.T) {
					served := 0
					for pages := 0; path != ""; pages++ {
						if pages > len(calls) {
							t.Fatalf("the walk did not end after %d pages", pages)
						}
						m.decode.Store(false)
						resp, body := g.send(t, "GET", path)
						m.decode.Store(true)
						want, wantBody := g.send(t, "GET", path)
						if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Cache") != "MIRROR" {
							t.Fatalf("%s: got %d, X-Cache %q; want 200 MIRROR", path, resp.StatusCode, resp.Header.Get("X-Cache"))
						}
						if body != wantBody {
							t.Fatalf("%s:\n got %s\nwant %s", path, body, wantBody)
						}
						sameHeaders(t, path, resp, want)

						etag := resp.Header.Get("ETag")
						for _, decode := range []bool{false, true} {
							m.decode.Store(decode)
							r304, b304 := g.send(t, "GET", path, "If-None-Match", etag)
							if r304.StatusCode != http.StatusNotModified || b304 != "" || r304.Header.Get("ETag") != etag {
								t.Fatalf("%s with If-None-Match %s (decoding %v): got %d %q ETag %q, want 304",
									path, etag, decode, r304.StatusCode, b304, r304.Header.Get("ETag"))
							}
						}

						var p struct {
							Data       []json.RawMessage `json:"data"`
							NextCursor *string           `json:"next_cursor"`
						}
						if err := json.Unmarshal([]byte(body), &p); err != nil {
							t.Fatalf("%s: %v in %s", path, err, body)
						}
						served += len(p.Data)
						path = ""
						if p.NextCursor != nil {
							path = strings.TrimSuffix(strings.TrimPrefix(resp.Header.Get("Link"), "<"), `>; rel="next"`)
						}
					}
					if served == 0 && !strings.Contains(t.Name(), "9999") {
						t.Errorf("the walk served no call")
					}
				})
			}
		})
	}
}

// sameHeaders fails t unless got and want carry the same headers a mirror
// page sets (the request id and rate-limit counters differ by request).
func sameHeaders(t *testing.T, path string, got, want *http.Response) {
	t.Helper()
	for _, h := range []string{"ETag", "X-Cache", "X-Synced-At", "Cache-Control", "Content-Type", "Content-Length", "Link"} {
		if g, w := got.Header.Values(h), want.Header.Values(h); strings.Join(g, "\n") != strings.Join(w, "\n") {
			t.Errorf("%s: header %s: got %q, want %q", path, h, g, w)
		}
	}
	if got.Header.Get("X-Synced-At") == "" || got.Header.Get("ETag") == "" {
		t.Errorf("%s: X-Synced-At %q, ETag %q: want both", path, got.Header.Get("X-Synced-At"), got.Header.Get("ETag"))
	}
}
