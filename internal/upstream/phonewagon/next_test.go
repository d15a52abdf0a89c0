package phonewagon

import (
	"testing"
	"time"
)

func TestParseNextAcceptsTheSameAPIWrittenDifferently(t *testing.T) {
	c, err := New(Config{BaseURL: "https://dev.phonewagon.com/v2/", ClientID: "id", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	prev := CallsOptions{CompanyID: "1386", CampaignID: "s2212", PageSize: 10}
	end := time.UnixMilli(1575322415999).UTC()
	tests := []struct {
		name string
		link string
		want CallsOptions
	}{
		{"the doc's shape with a trailing ampersand", "https://dev.phonewagon.com/v2/calls?page_size=1&start_time=0&end_time=1575322415999&",
			CallsOptions{CompanyID: "1386", CampaignID: "s2212", PageSize: 1, Start: time.UnixMilli(0).UTC(), End: end}},
		{"an upper-case host and explicit default port", "HTTPS://DEV.phonewagon.com:443/v2/calls?end_time=1575322415999",
			CallsOptions{CompanyID: "1386", CampaignID: "s2212", PageSize: 10, End: end}},
		{"filters the link names win over the request's", "https://dev.phonewagon.com/v2/calls?company_id=9&campaign_id=x1&end_time=1575322415999",
			CallsOptions{CompanyID: "9", CampaignID: "x1", PageSize: 10, End: end}},
		{"an empty filter in the link is carried over", "https://dev.phonewagon.com/v2/calls?campaign_id=&end_time=1575322415999",
			CallsOptions{CompanyID: "1386", CampaignID: "s2212", PageSize: 10, End: end}},
		{"a page size over the cap is clamped", "https://dev.phonewagon.com/v2/calls?page_size=5000",
			CallsOptions{CompanyID: "1386", CampaignID: "s2212", PageSize: MaxPageSize}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is accepted", func(t *testing.T) {
			got, err := c.parseNext(tt.link, prev)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if got.query().Encode() != tt.want.query().Encode() {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestCallsWithAnEmptyNextIsTheLastPage(t *testing.T) {
	for _, body := range []string{`{"calls":[]}`, `{"calls":[],"next":null}`, `{"calls":[],"next":""}`} {
		c := &Client{}
		_, next, err := c.decodeCalls([]byte(body), CallsOptions{})
		if err != nil || next != nil {
			t.Errorf("%s: got next %v, error %v; want no next page", body, next, err)
		}
	}
}

// FuzzDecodeCalls proves that no body, however broken, makes decoding panic.
func FuzzDecodeCalls(f *testing.F) {
	for _, seed := range []string{
		`{"calls":[{"id":1,"duration":"54","is_first_time_caller":"1","start_time":1575322416000}],"next":"https://dev.phonewagon.com/calls?page_size=1"}`,
		`{"calls":[null],"next":5}`,
		`{"calls":{"id":1}}`,
		`{"calls":[{"id":1,"from_number":"+1 (929) 555","contact_name":"\u0000 a"}]}`,
		`[`,
		``,
	} {
		f.Add([]byte(seed))
	}
	c, err := New(Config{BaseURL: "https://dev.phonewagon.com", ClientID: "id", ClientSecret: "s"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _, _ = c.decodeCalls(body, CallsOptions{PageSize: 1})
	})
}
