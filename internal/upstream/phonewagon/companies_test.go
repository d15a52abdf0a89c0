package phonewagon

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"switchboard/internal/domain"
)

func TestCompanies(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []domain.Company
	}{
		{
			"the documented sample is normalized",
			`{"companies":[{"id":1001,"name":"Phonewagon"},{"id":9812,"name":"Jake's rake company"}]}`,
			[]domain.Company{
				{ID: "1001", Source: domain.SourcePhonewagon, Name: "Phonewagon"},
				{ID: "9812", Source: domain.SourcePhonewagon, Name: "Jake's rake company"},
			},
		},
		{
			"ids sent as strings are kept and unknown fields ignored",
			`{"companies":[{"id":"1001","name":"Phonewagon","plan":"gold"}],"extra":true}`,
			[]domain.Company{{ID: "1001", Source: domain.SourcePhonewagon, Name: "Phonewagon"}},
		},
		{"an empty list is empty, not nil", `{"companies":[]}`, []domain.Company{}},
		{"a null list is empty", `{"companies":null}`, []domain.Company{}},
		{
			"a null name is empty",
			`{"companies":[{"id":7,"name":null}]}`,
			[]domain.Company{{ID: "7", Source: domain.SourcePhonewagon}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t, nil)
			f.mux.HandleFunc("/companies", reply(t, url.Values{}, tt.body))
			got, resp, err := f.client.Companies(context.Background())
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if resp == nil || resp.StatusCode != http.StatusOK {
				t.Errorf("got response %+v, want a 200 without a next page", resp)
			}
			if got == nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestCampaigns(t *testing.T) {
	f := setup(t, nil)
	f.mux.HandleFunc("/campaigns", reply(t, url.Values{"company_id": {"1001"}},
		`{"campaigns":[{"id":"s2212","name":"Facebook"},{"id":42,"name":"Google"}]}`))

	got, _, err := f.client.Campaigns(context.Background(), "1001")
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	want := []domain.Campaign{
		{ID: "s2212", Source: domain.SourcePhonewagon, Name: "Facebook", CompanyID: "1001"},
		{ID: "42", Source: domain.SourcePhonewagon, Name: "Google", CompanyID: "1001"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestCampaignsWithoutACompanyIsAValidationError(t *testing.T) {
	f := setup(t, nil)
	_, _, err := f.client.Campaigns(context.Background(), "")
	if got := domain.ErrorCode(err); got != domain.CodeValidation {
		t.Errorf("got code %s, want %s", got, domain.CodeValidation)
	}
	if got := f.hits.Load(); got != 0 {
		t.Errorf("got %d requests, want 0", got)
	}
}

func TestRecordsWithoutAnIDAreAnUpstreamError(t *testing.T) {
	tests := []struct {
		name, path, body string
		call             func(*Client) error
	}{
		{"a company without an id", "/companies", `{"companies":[{"name":"x"}]}`,
			func(c *Client) error { _, _, err := c.Companies(context.Background()); return err }},
		{"a null campaign", "/campaigns", `{"campaigns":[null]}`,
			func(c *Client) error { _, _, err := c.Campaigns(context.Background(), "1"); return err }},
		{"a call with an empty id", "/calls", `{"calls":[{"id":""}]}`,
			func(c *Client) error { _, _, err := c.Calls(context.Background(), domain.CallsQuery{}); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			f := setup(t, nil)
			f.mux.HandleFunc(tt.path, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(tt.body)) })
			if got := domain.ErrorCode(tt.call(f.client)); got != domain.CodeUpstreamError {
				t.Errorf("got code %s, want %s", got, domain.CodeUpstreamError)
			}
		})
	}
}
