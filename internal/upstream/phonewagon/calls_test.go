package phonewagon

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/internal/domain"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sampleClient returns a client for https://dev.phonewagon.com whose
// transport answers the doc's sample request with testdata/sample_call.json
// (the vendor's sample with its two comma typos fixed), so that the sample's
// absolute next link is on the configured origin.
func sampleClient(t *testing.T, body []byte) *Client {
	t.Helper()
	transport := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		const want = "https://dev.phonewagon.com/calls?campaign_id=s2212&end_time=1573072575990&page_size=1"
		if r.URL.String() != want {
			t.Errorf("got URL %s, want %s", r.URL, want)
		}
		if id, pw, _ := r.BasicAuth(); id != testClientID || pw != testSecret.Reveal() {
			t.Errorf("got basic auth %q/%q, want the client's credentials", id, pw)
		}
		return &http.Response{
			StatusCode: http.StatusOK,
			Header:     http.Header{"Content-Type": {"application/json"}},
			Body:       io.NopCloser(bytes.NewReader(body)),
			Request:    r,
		}, nil
	})
	c, err := New(Config{BaseURL: "https://dev.phonewagon.com", ClientID: testClientID, ClientSecret: testSecret, Transport: transport})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sampleOptions is the doc's sample request: campaign_id=s2212&end_time=1573072575990&page_size=1.
var sampleOptions = domain.CallsQuery{CampaignID: "s2212", End: time.UnixMilli(1573072575990), PageSize: 1}

func readSample(t *testing.T) []byte {
	t.Helper()
	body, err := os.ReadFile("testdata/sample_call.json")
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestCallsNormalizesTheDocumentedSample(t *testing.T) {
	page, _, err := sampleClient(t, readSample(t)).Calls(context.Background(), sampleOptions)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	got, err := json.MarshalIndent(struct {
		Calls []domain.Call      `json:"calls"`
		Next  *domain.CallsQuery `json:"next"`
	}{page.Calls, page.Next}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')

	const golden = "testdata/sample_call.golden.json"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("normalized sample differs from %s (run go test -update after checking):\ngot:\n%s\nwant:\n%s", golden, got, want)
	}

	// The golden file is reviewed once; these pin the decisions in it.
	c := page.Calls[0]
	checks := []struct {
		field     string
		got, want any
	}{
		{"id", c.ID, "6315"},
		{"contact_name", *c.ContactName, "Bronx Ny"},
		{"started_at", c.StartedAt.Format(time.RFC3339), "2019-12-02T21:33:36Z"},
		{"duration_seconds", *c.DurationSeconds, int64(54)},
		{"first_time_caller", *c.FirstTimeCaller, false},
		{"account_id", *c.AccountID, "696"},
		{"referrer", *c.Attribution.Referrer, "http://yahoo.com/yahoo.html"},
		{"gclid", c.Attribution.ClickIDs.GCLID, (*string)(nil)},
		{"next campaign carried over", page.Next.CampaignID, "s2212"},
		{"next end is the last start, not the link's start - 1", page.Next.End.UnixMilli(), int64(1575322416000)},
		{"next skips the call served at that instant", page.Next.Skip, []string{"6315"}},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s: got %#v, want %#v", ch.field, ch.got, ch.want)
		}
	}
}

func TestCallsAcceptsNumbersAndBooleansSentAsStrings(t *testing.T) {
	sample := readSample(t)
	want, _, err := sampleClient(t, sample).Calls(context.Background(), sampleOptions)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		fields map[string]any
	}{
		{"ids and numbers as strings", map[string]any{
			"id": "6315", "account_id": "696", "company_id": "1386", "duration": "54", "start_time": "1575322416000",
		}},
		{"the first-time flag as a string", map[string]any{"is_first_time_caller": "false"}},
		{"the first-time flag as a number", map[string]any{"is_first_time_caller": 0}},
		{"whole numbers written as floats", map[string]any{"duration": 54.0, "start_time": 1.575322416e12}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" normalize like the sample", func(t *testing.T) {
			body := patchSample(t, sample, tt.fields)
			got, _, err := sampleClient(t, body).Calls(context.Background(), sampleOptions)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got.Calls[0], want.Calls[0])
			}
		})
	}
}

// patchSample returns the sample body with fields of its first call replaced.
func patchSample(t *testing.T, sample []byte, fields map[string]any) []byte {
	t.Helper()
	var doc struct {
		Calls []map[string]any `json:"calls"`
		Next  string           `json:"next"`
	}
	if err := json.Unmarshal(sample, &doc); err != nil {
		t.Fatal(err)
	}
	for k, v := range fields {
		doc.Calls[0][k] = v
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCallsSendsItsOptions(t *testing.T) {
	start := time.Date(2019, 12, 1, 0, 0, 0, 0, time.FixedZone("EST", -5*3600))
	tests := []struct {
		name string
		opts domain.CallsQuery
		want url.Values
	}{
		{"no options send only the default page size", domain.CallsQuery{}, url.Values{"page_size": {"1000"}}},
		{"every option is sent", domain.CallsQuery{CompanyID: "1386", CampaignID: "s2212", Start: start, End: start.Add(time.Hour), PageSize: 50},
			url.Values{"company_id": {"1386"}, "campaign_id": {"s2212"}, "start_time": {"1575176400000"}, "end_time": {"1575180000000"}, "page_size": {"50"}}},
		{"a page size over the cap is clamped to 1000", domain.CallsQuery{PageSize: 5000}, url.Values{"page_size": {"1000"}}},
		{"a page size of 1000 is kept", domain.CallsQuery{PageSize: 1000}, url.Values{"page_size": {"1000"}}},
		{"a page size of 1 is kept", domain.CallsQuery{PageSize: 1}, url.Values{"page_size": {"1"}}},
		{"a negative page size is clamped to 1", domain.CallsQuery{PageSize: -3}, url.Values{"page_size": {"1"}}},
		{"skipped ids widen the page size", domain.CallsQuery{PageSize: 7, Skip: []string{"1", "2"}}, url.Values{"page_size": {"9"}}},
		{"skipped ids widen it up to the cap", domain.CallsQuery{PageSize: 999, Skip: []string{"1", "2"}}, url.Values{"page_size": {"1000"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, nil)
			f.mux.HandleFunc("/calls", reply(t, tt.want, `{"calls":[]}`))
			got, _, err := f.client.Calls(context.Background(), tt.opts)
			if err != nil || got.Calls == nil || len(got.Calls) != 0 || got.Next != nil {
				t.Errorf("got %v, next %v, error %v; want an empty page and no next", got.Calls, got.Next, err)
			}
		})
	}
}

func TestCallsWithEndBeforeStartIsAValidationError(t *testing.T) {
	f := setup(t, nil)
	now := time.Date(2019, 12, 2, 0, 0, 0, 0, time.UTC)
	_, _, err := f.client.Calls(context.Background(), domain.CallsQuery{Start: now, End: now.Add(-time.Second)})
	if got := domain.ErrorCode(err); got != domain.CodeValidation {
		t.Errorf("got code %s, want %s", got, domain.CodeValidation)
	}
	if got := f.hits.Load(); got != 0 {
		t.Errorf("got %d requests, want 0", got)
	}
}

func TestCallsContinuesFromTheLastStartTimeNotFromTheNextLink(t *testing.T) {
	f := setup(t, nil)
	page := 0
	f.mux.HandleFunc("/calls", func(w http.ResponseWriter, r *http.Request) {
		page++
		switch page {
		case 1:
			testRequest(t, r, url.Values{"campaign_id": {"s2212"}, "page_size": {"1"}})
			// Like the doc's sample, the next link drops campaign_id and asks
			// for end_time = start_time - 1, which would lose call 2.
			next := f.server.URL + baseURLPath + "/calls?page_size=1&start_time=0&end_time=1575322415999&"
			_, _ = w.Write([]byte(`{"calls":[{"id":1,"start_time":1575322416000}],"next":"` + next + `"}`))
		case 2:
			testRequest(t, r, url.Values{"campaign_id": {"s2212"}, "page_size": {"2"}, "end_time": {"1575322416000"}})
			_, _ = w.Write([]byte(`{"calls":[{"id":1,"start_time":1575322416000},{"id":2,"start_time":1575322416000}],"next":null}`))
		default:
			t.Errorf("page %d requested, want 2 pages", page)
		}
	})

	first, _, err := f.client.Calls(context.Background(), domain.CallsQuery{CampaignID: "s2212", PageSize: 1})
	if err != nil || len(first.Calls) != 1 || first.Next == nil {
		t.Fatalf("page 1: got %v, next %v, error %v; want one call and a next page", first.Calls, first.Next, err)
	}
	second, _, err := f.client.Calls(context.Background(), *first.Next)
	if err != nil || len(second.Calls) != 1 || second.Calls[0].ID != "2" {
		t.Fatalf("page 2: got %v, error %v; want call 2", second.Calls, err)
	}
	if second.Next != nil {
		t.Errorf("page 2: got next %+v, want none", second.Next)
	}
}

func TestCallsRejectsANextLinkOffTheConfiguredAPI(t *testing.T) {
	elsewhere, elsewhereHits := counter(t)
	f := setup(t, nil)
	self := f.server.URL + baseURLPath
	hostPort := f.server.Listener.Addr().String()
	tests := []struct {
		name string
		next string // JSON value
	}{
		{"another host", `"` + elsewhere.URL + baseURLPath + `/calls?page_size=1"`},
		{"another scheme", `"https://` + hostPort + baseURLPath + `/calls?page_size=1"`},
		{"a path outside the base path", `"` + f.server.URL + `/calls?page_size=1"`},
		{"another endpoint", `"` + self + `/companies?page_size=1"`},
		{"a path that climbs out", `"` + self + `/calls/../companies?page_size=1"`},
		{"a relative link", `"` + baseURLPath + `/calls?page_size=1"`},
		{"a scheme-relative link elsewhere", `"//` + elsewhere.Listener.Addr().String() + baseURLPath + `/calls"`},
		{"user info", `"http://u:p@` + hostPort + baseURLPath + `/calls?page_size=1"`},
		{"an unknown parameter", `"` + self + `/calls?page_size=1&cursor=abc"`},
		{"a repeated parameter", `"` + self + `/calls?page_size=1&page_size=2"`},
		{"a time that is not milliseconds", `"` + self + `/calls?start_time=yesterday"`},
		{"a page of no call that claims more", `"` + self + `/calls?page_size=2"`},
		{"a link that is not a string", `5`},
		{"a link that is not a URL", `"http://[::1"`},
	}
	var next atomic.Pointer[string]
	f.mux.HandleFunc("/calls", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"calls":[],"next":` + *next.Load() + `}`))
	})
	for _, tt := range tests {
		t.Run("a next link to "+tt.name+" is an upstream error and never requested", func(t *testing.T) {
			f.hits.Store(0)
			next.Store(&tt.next)
			_, _, err := f.client.Calls(context.Background(), domain.CallsQuery{PageSize: 2})
			if got := domain.ErrorCode(err); got != domain.CodeUpstreamError {
				t.Errorf("got code %s (%v), want %s", got, err, domain.CodeUpstreamError)
			}
			if f.hits.Load() != 1 || elsewhereHits.Load() != 0 {
				t.Errorf("got %d requests here and %d elsewhere, want 1 and 0", f.hits.Load(), elsewhereHits.Load())
			}
		})
	}
}
