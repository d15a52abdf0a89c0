package phonewagon

import (
	"testing"

	"switchboard/internal/domain"
)

func TestCheckNextAcceptsTheSameAPIWrittenDifferently(t *testing.T) {
	c, err := New(Config{BaseURL: "https://dev.phonewagon.com/v2/", ClientID: "id", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		link string
	}{
		{"the doc's shape with a trailing ampersand", "https://dev.phonewagon.com/v2/calls?page_size=1&start_time=0&end_time=1575322415999&"},
		{"an upper-case host and explicit default port", "HTTPS://DEV.phonewagon.com:443/v2/calls?end_time=1575322415999"},
		{"filters", "https://dev.phonewagon.com/v2/calls?company_id=9&campaign_id=x1&end_time=1575322415999"},
		{"an empty filter", "https://dev.phonewagon.com/v2/calls?campaign_id=&end_time=1575322415999"},
		{"a page size over the cap", "https://dev.phonewagon.com/v2/calls?page_size=5000"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is accepted", func(t *testing.T) {
			if err := c.checkNext(tt.link); err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
		})
	}
}

func TestCallsWithAnEmptyNextIsTheLastPage(t *testing.T) {
	for _, body := range []string{`{"calls":[]}`, `{"calls":[],"next":null}`, `{"calls":[],"next":""}`} {
		c := &Client{}
		_, more, err := c.decodeCalls([]byte(body))
		if err != nil || more {
			t.Errorf("%s: got more %v, error %v; want no next page", body, more, err)
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
		listed, more, err := c.decodeCalls(body)
		if err == nil {
			_, _ = pageOf(domain.CallsQuery{PageSize: 1}, listed, more)
		}
	})
}
