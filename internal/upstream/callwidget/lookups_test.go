package callwidget

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"switchboard/internal/domain"
)

func ptr(s string) *string { return &s }

func TestLookupsServeTheDocumentedSamples(t *testing.T) {
	f := newFakeUpstream(t)
	c := newTestClient(t, f, newFakeClock(), nil)
	ctx := context.Background()
	lookup := func(name string) []domain.Lookup {
		return []domain.Lookup{{ID: "1", Source: domain.SourceCallWidget, Name: ptr(name), Label: ptr(name)}}
	}

	tests := []struct {
		name string
		call func() (any, *Response, error)
		want any
	}{
		{
			name: "installs name their phone in E.164",
			call: func() (any, *Response, error) { return c.Installs(ctx) },
			want: []domain.Install{{ID: "1", Source: domain.SourceCallWidget,
				Phone: ptr("+17866275049"), Name: ptr("+17866275049"), Label: ptr("+17866275049")}},
		},
		{name: "departments", call: func() (any, *Response, error) { return c.Departments(ctx) }, want: lookup("Test Department")},
		{name: "tags", call: func() (any, *Response, error) { return c.Tags(ctx) }, want: lookup("VIP")},
		{name: "automations", call: func() (any, *Response, error) { return c.Automations(ctx) }, want: lookup("Keyword Automation")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, resp, err := tt.call()
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if resp == nil || resp.StatusCode != 200 {
				t.Fatalf("got response %v, want a 200", resp)
			}
			if g, w := mustJSON(t, got), mustJSON(t, tt.want); g != w {
				t.Fatalf("got %s, want %s", g, w)
			}
		})
	}
}

func TestDecodeLookups(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []lookupRecord
	}{
		{name: "numeric ids become strings", body: `[{"id": 1, "name": "VIP", "label": "VIP"}]`,
			want: []lookupRecord{{ID: "1", Name: ptr("VIP"), Label: ptr("VIP")}}},
		{name: "string ids are kept", body: `[{"id": "a7", "name": "x", "label": "y"}]`,
			want: []lookupRecord{{ID: "a7", Name: ptr("x"), Label: ptr("y")}}},
		{name: "empty names and labels become null", body: `[{"id": 2, "name": "", "label": ""}]`,
			want: []lookupRecord{{ID: "2"}}},
		{name: "null or missing names and labels stay null", body: `[{"id": 3, "name": null}]`,
			want: []lookupRecord{{ID: "3"}}},
		{name: "numeric names are kept as text", body: `[{"id": 4, "name": 17866275049}]`,
			want: []lookupRecord{{ID: "4", Name: ptr("17866275049")}}},
		{name: "unknown fields are ignored", body: `[{"id": 5, "name": "n", "color": "red", "meta": {"a": [1]}}]`,
			want: []lookupRecord{{ID: "5", Name: ptr("n")}}},
		{name: "an empty array is an empty list", body: " [ ]\n", want: []lookupRecord{}},
		{name: "order is kept", body: `[{"id": 2}, {"id": 1}]`, want: []lookupRecord{{ID: "2"}, {ID: "1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeLookups([]byte(tt.body))
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if g, w := mustJSON(t, got), mustJSON(t, tt.want); g != w {
				t.Fatalf("got %s, want %s", g, w)
			}
		})
	}
}

func TestMalformedListsAreUpstreamErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{name: "an object", body: `{"data": [{"id": 1}]}`},
		{name: "null", body: `null`},
		{name: "a string", body: `"[]"`},
		{name: "an empty body", body: ``},
		{name: "truncated JSON", body: `[{"id": 1}`},
		{name: "a record without an id", body: `[{"name": "VIP"}]`},
		{name: "a record with an empty id", body: `[{"id": ""}]`},
		{name: "a boolean id", body: `[{"id": true}]`},
		{name: "an object id", body: `[{"id": {"v": 1}}]`},
		{name: "an array name", body: `[{"id": 1, "name": ["VIP"]}]`},
		{name: "a null record", body: `[null]`},
		{name: "a number record", body: `[1]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeUpstream(t)
			f.set(func(f *fakeUpstream) { f.lists["tags"] = tt.body })
			c := newTestClient(t, f, newFakeClock(), nil)

			got, resp, err := c.Tags(context.Background())
			assertCode(t, err, domain.CodeUpstreamError)
			if got != nil || resp == nil {
				t.Fatalf("got %v and response %v, want no records and the response", got, resp)
			}
		})
	}
}

func TestInstallPhones(t *testing.T) {
	tests := []struct {
		name string
		in   *string
		want *string
	}{
		{name: "an E.164 number is kept", in: ptr("+17866275049"), want: ptr("+17866275049")},
		{name: "a formatted international number is normalized", in: ptr("+1 (786) 627-5049"), want: ptr("+17866275049")},
		{name: "surrounding spaces are ignored", in: ptr(" +44 20 7183 8750 "), want: ptr("+442071838750")},
		{name: "a test number that is possible is a phone", in: ptr("+15555550100"), want: ptr("+15555550100")},
		{name: "a number without a country code is not", in: ptr("7866275049")},
		{name: "a label is not", in: ptr("Main line")},
		{name: "a number with an extension is not", in: ptr("+1 786 627 5049 ext 2")},
		{name: "a number too short for its country is not", in: ptr("+1786")},
		{name: "an unknown country code is not", in: ptr("+999 123 456")},
		{name: "over 15 digits is not", in: ptr("+1786627504912345")},
		{name: "a plus alone is not", in: ptr("+")},
		{name: "an empty name is not", in: ptr("")},
		{name: "no name is not", in: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := phoneOf(tt.in)
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Fatalf("got %v, want %v", deref(got), deref(tt.want))
			}
		})
	}
}

func TestInstallsKeepNameAndLabelAsGiven(t *testing.T) {
	f := newFakeUpstream(t)
	f.set(func(f *fakeUpstream) {
		f.lists["installs"] = `[{"id": "9", "name": "+1 (786) 627-5049", "label": "Miami"}, {"id": 10, "name": "Front desk", "label": ""}]`
	})
	c := newTestClient(t, f, newFakeClock(), nil)

	got, _, err := c.Installs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []domain.Install{
		{ID: "9", Source: domain.SourceCallWidget, Phone: ptr("+17866275049"), Name: ptr("+1 (786) 627-5049"), Label: ptr("Miami")},
		{ID: "10", Source: domain.SourceCallWidget, Name: ptr("Front desk")},
	}
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Fatalf("got %s, want %s", g, w)
	}
}

func FuzzDecodeLookups(f *testing.F) {
	for _, seed := range []string{`[{"id": 1, "name": "+17866275049", "label": "x"}]`, `{}`, `[{"id": "", "name": 1e999}]`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		recs, err := decodeLookups([]byte(body))
		if err != nil {
			return
		}
		for _, r := range recs {
			if r.ID == "" {
				t.Fatalf("decoded a record without an id from %q", body)
			}
			_ = phoneOf(r.Name)
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
