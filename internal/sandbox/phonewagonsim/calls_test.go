package phonewagonsim_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"

	"switchboard/internal/sandbox/phonewagonsim"
)

// page is a decoded GET /calls answer; next is nil when the key is absent.
type page struct {
	Calls []phonewagonsim.Call `json:"calls"`
	Next  *string              `json:"next"`
}

// walk follows next URLs from path and returns every call and the number of
// pages.
func walk(t *testing.T, f *fixture, path string) ([]phonewagonsim.Call, int) {
	t.Helper()
	var calls []phonewagonsim.Call
	pages := 0
	for next := f.srv.URL + path; ; pages++ {
		resp := f.mustGet(t, next, acmeID, acmeSecret)
		if resp.status != http.StatusOK {
			t.Fatalf("GET %s: got %d, want 200", next, resp.status)
		}
		p := decode[page](t, resp.body)
		calls = append(calls, p.Calls...)
		if p.Next == nil {
			return calls, pages + 1
		}
		if !strings.HasPrefix(*p.Next, f.srv.URL+"/calls?") {
			t.Fatalf("got next %q, want an absolute URL under %s", *p.Next, f.srv.URL)
		}
		next = *p.Next
	}
}

func TestCallRecordHasTheDocumentedFieldsAndTypes(t *testing.T) {
	f := newFixture(t, nil)
	resp := f.mustGet(t, "/calls?page_size=1", acmeID, acmeSecret)
	body := decode[map[string]any](t, resp.body)
	calls, ok := body["calls"].([]any)
	if !ok || len(calls) != 1 {
		t.Fatalf("got calls %v, want one record", body["calls"])
	}
	call := calls[0].(map[string]any)
	numbers := []string{"account_id", "company_id", "id", "duration", "start_time"}
	strs := []string{"ad_position", "campaign_name", "contact_name", "device", "direction", "fbclid",
		"from_number", "gclid", "keyword", "landing_page", "match_type", "msclkid", "network",
		"recording_url", "referral_value", "sid", "status", "to_number", "unbounce_page_id",
		"unbounce_variant_id", "unbounce_visitor_id", "user_source", "utm_campaign", "utm_content",
		"utm_medium", "utm_source", "utm_term"}
	if got, want := len(call), len(numbers)+len(strs)+1; got != want {
		t.Errorf("got %d fields, want %d: %v", got, want, call)
	}
	for _, k := range numbers {
		if _, ok := call[k].(float64); !ok {
			t.Errorf("field %s: got %#v, want a number", k, call[k])
		}
	}
	for _, k := range strs {
		if _, ok := call[k].(string); !ok {
			t.Errorf("field %s: got %#v, want a string", k, call[k])
		}
	}
	if _, ok := call["is_first_time_caller"].(bool); !ok {
		t.Errorf("field is_first_time_caller: got %#v, want a bool", call["is_first_time_caller"])
	}
	if _, ok := body["next"].(string); !ok {
		t.Errorf("got next %#v, want a URL string", body["next"])
	}
}

func TestCallDataLooksLikeTheDocsSample(t *testing.T) {
	d := newFixture(t, nil).dataset(t, acmeID)
	e164 := regexp.MustCompile(`^\+1\d{10}$`)
	seen := map[string]int{}
	perSecond := map[int64]int{}
	numbers := map[string]bool{}
	for i, c := range d.Calls {
		if !e164.MatchString(c.FromNumber) || !e164.MatchString(c.ToNumber) {
			t.Fatalf("call %d: got from %q to %q, want E.164", c.ID, c.FromNumber, c.ToNumber)
		}
		numbers[c.FromNumber], numbers[c.ToNumber] = true, true
		if c.StartTime%1000 != 0 {
			t.Fatalf("call %d: got start_time %d, want whole seconds like the real upstream", c.ID, c.StartTime)
		}
		perSecond[c.StartTime]++
		if i > 0 && c.StartTime > d.Calls[i-1].StartTime {
			t.Fatalf("call %d: got start_time %d after %d, want newest first", c.ID, c.StartTime, d.Calls[i-1].StartTime)
		}
		if i > 0 && c.StartTime == d.Calls[i-1].StartTime && c.ID >= d.Calls[i-1].ID {
			t.Fatalf("call %d: got it after call %d of the same second, want descending ids", c.ID, d.Calls[i-1].ID)
		}
		seen["status="+c.Status]++
		seen["direction="+c.Direction]++
		if strings.Contains(c.ContactName, "  ") {
			seen["ragged name"]++
		}
		if c.ContactName != strings.TrimSpace(c.ContactName) {
			seen["padded name"]++
		}
		if c.RecordingURL == "" {
			seen["no recording"]++
		}
		if c.GCLID == "" && c.UTMSource == "" && c.UnbouncePageID == "" {
			seen["empty attribution"]++
		}
		if c.IsFirstTimeCaller {
			seen["first time"]++
		}
	}
	for _, n := range perSecond {
		if n >= 3 {
			seen["burst"]++
		}
	}
	if seen["burst"] < 50 {
		t.Errorf("got %d seconds with 3 calls or more, want bursts like the real upstream's (50 or more)", seen["burst"])
	}
	for n := range numbers {
		if p, err := phonenumbers.Parse(n, ""); err != nil || !phonenumbers.IsValidNumber(p) {
			t.Errorf("got number %q, want one libphonenumber accepts", n)
		}
	}
	if got := len(d.Calls); got != phonewagonsim.DefaultCalls {
		t.Errorf("got %d calls, want %d", got, phonewagonsim.DefaultCalls)
	}
	if got, want := time.UnixMilli(d.Calls[0].StartTime).UTC(), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("got newest call at %s, want the default anchor %s", got, want)
	}
	for _, k := range []string{"status=completed", "status=no-answer", "status=busy", "direction=inbound",
		"direction=outbound", "ragged name", "padded name", "no recording", "empty attribution", "first time"} {
		if seen[k] == 0 {
			t.Errorf("got no call with %s, want some", k)
		}
	}
}

func TestFollowingNextURLsLosesTheRestOfABurstCutByAPageLikeTheRealUpstream(t *testing.T) {
	f := newFixture(t, func(c *phonewagonsim.Config) { c.RatePerMinute = 1000 })
	calls, _ := walk(t, f, "/calls?page_size=7")
	all := f.dataset(t, acmeID).Calls
	got := map[int64]bool{}
	for i, c := range calls {
		if got[c.ID] {
			t.Fatalf("call %d: got it twice, want every call at most once", c.ID)
		}
		got[c.ID] = true
		if i > 0 && c.StartTime > calls[i-1].StartTime {
			t.Fatalf("call %d: got it after a newer one, want newest first", c.ID)
		}
	}
	// What the walk misses is exactly the rest of bursts cut by a page:
	// calls sharing the start_time of a page's last call.
	pageEnds := map[int64]bool{}
	for i := 6; i < len(calls); i += 7 {
		pageEnds[calls[i].StartTime] = true
	}
	lost := 0
	for _, c := range all {
		if got[c.ID] {
			continue
		}
		lost++
		if !pageEnds[c.StartTime] {
			t.Errorf("call %d at %d: lost, want only calls of a page's last second lost", c.ID, c.StartTime)
		}
	}
	if lost == 0 {
		t.Errorf("got every one of %d calls, want the next link to skip the rest of a cut burst", len(all))
	}
}

func TestNextURLFollowsTheDocsScheme(t *testing.T) {
	f := newFixture(t, nil)
	d := f.dataset(t, acmeID)
	resp := f.mustGet(t, "/calls?campaign_id="+d.Campaigns[0].ID+"&page_size=1", acmeID, acmeSecret)
	p := decode[page](t, resp.body)
	if len(p.Calls) != 1 || p.Next == nil {
		t.Fatalf("got %d calls and next %v, want one call and a next URL", len(p.Calls), p.Next)
	}
	want := fmt.Sprintf("%s/calls?page_size=1&start_time=0&end_time=%d&campaign_id=%s&",
		f.srv.URL, p.Calls[0].StartTime-1, d.Campaigns[0].ID)
	if *p.Next != want {
		t.Errorf("got next %q, want %q", *p.Next, want)
	}
}

func TestPageSize(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name       string
		query      string
		wantStatus int
		wantCalls  int
	}{
		{"no page_size returns the 1000 cap", "", http.StatusOK, 1000},
		{"a page_size over the cap is truncated to 1000", "?page_size=5000", http.StatusOK, 1000},
		{"an overflowing page_size is truncated to 1000", "?page_size=99999999999999999999", http.StatusOK, 1000},
		{"a small page_size is honoured", "?page_size=7", http.StatusOK, 7},
		{"a non-numeric page_size is a bad request", "?page_size=ten", http.StatusBadRequest, 0},
		{"a zero page_size is a bad request", "?page_size=0", http.StatusBadRequest, 0},
		{"a negative page_size is a bad request", "?page_size=-3", http.StatusBadRequest, 0},
		{"a non-numeric start_time is a bad request", "?start_time=yesterday", http.StatusBadRequest, 0},
		{"a non-numeric end_time is a bad request", "?end_time=now", http.StatusBadRequest, 0},
		{"a non-integer company_id is a bad request", "?company_id=acme", http.StatusBadRequest, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.mustGet(t, "/calls"+tt.query, acmeID, acmeSecret)
			if resp.status != tt.wantStatus {
				t.Fatalf("got %d, want %d", resp.status, tt.wantStatus)
			}
			if tt.wantStatus != http.StatusOK {
				decode[map[string]any](t, resp.body)
				return
			}
			p := decode[page](t, resp.body)
			if len(p.Calls) != tt.wantCalls {
				t.Errorf("got %d calls, want %d", len(p.Calls), tt.wantCalls)
			}
			if p.Next == nil {
				t.Fatalf("got no next, want one")
			}
			next, err := url.Parse(*p.Next)
			if err != nil || next.Query().Get("page_size") != fmt.Sprint(tt.wantCalls) {
				t.Errorf("got next %q, want page_size=%d", *p.Next, tt.wantCalls)
			}
		})
	}
}

func TestFilters(t *testing.T) {
	f := newFixture(t, nil)
	d := f.dataset(t, acmeID)
	company, campaign := d.Companies[1].ID, d.Campaigns[len(d.Campaigns)-1]
	lo, hi := d.Calls[40].StartTime, d.Calls[10].StartTime
	tests := []struct {
		name  string
		query string
		want  func(phonewagonsim.Call) bool
	}{
		{"company_id keeps that company's calls", fmt.Sprintf("company_id=%d", company),
			func(c phonewagonsim.Call) bool { return c.CompanyID == company }},
		{"campaign_id keeps that campaign's calls", "campaign_id=" + campaign.ID,
			func(c phonewagonsim.Call) bool { return c.CampaignID == campaign.ID }},
		{"both filters combine", fmt.Sprintf("company_id=%d&campaign_id=%s", company, campaign.ID),
			func(c phonewagonsim.Call) bool { return c.CompanyID == company && c.CampaignID == campaign.ID }},
		{"start_time and end_time are inclusive", fmt.Sprintf("start_time=%d&end_time=%d", lo, hi),
			func(c phonewagonsim.Call) bool { return c.StartTime >= lo && c.StartTime <= hi }},
		{"an unknown campaign matches nothing", "campaign_id=s0",
			func(phonewagonsim.Call) bool { return false }},
		{"a start_time after end_time matches nothing", fmt.Sprintf("start_time=%d&end_time=%d", hi, lo),
			func(phonewagonsim.Call) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := walk(t, f, "/calls?page_size=1000&"+tt.query)
			var want []int64
			for _, c := range d.Calls {
				if tt.want(c) {
					want = append(want, c.ID)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("got %d calls, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i].ID != want[i] {
					t.Fatalf("call %d: got id %d, want %d", i, got[i].ID, want[i])
				}
			}
		})
	}
	if got := d.Calls[10].CampaignName; got == "" {
		t.Errorf("got an empty campaign_name, want the campaign's name")
	}
}

func TestDefaultEndTimeIsNowByTheClock(t *testing.T) {
	f := newFixture(t, nil)
	d := f.dataset(t, acmeID)
	f.clock.Set(time.UnixMilli(d.Calls[5].StartTime))
	p := decode[page](t, f.mustGet(t, "/calls?page_size=1", acmeID, acmeSecret).body)
	if len(p.Calls) != 1 || p.Calls[0].ID != d.Calls[5].ID {
		t.Fatalf("got %v, want call %d, the newest not after now", p.Calls, d.Calls[5].ID)
	}
}
