package handlers

import (
	"errors"

	"net/url"
	"reflect"
	"switchboard/internal/domain"
	"testing"
)

// hostileQueries are raw query strings a caller may send: escapes good and
// bad, semicolons, empty pairs, repeated and unknown names.
var hostileQueries = []string{
	"", "&", "&&", "=", "==", "limit", "limit=", "limit=5", "limit=5&limit=6",
	"limit=5;cursor=x", "limit=5&cursor=x;y&since=1", "%6Cimit=5", "limit=%35",
	"limit=%zz", "%zz=1&limit=2", "a+b=c+d", "company_id=1%2B2", "x=%", "x=%4",
	"cursor=a%26b%3Dc", "since=2026-01-01T00:00:00%2B02:00&until=2026-01-02T00:00:00Z",
	"limit=1&&&limit=2", "é=ü", "%C3%A9=%FF", "=value", "name==value", "a=1&b&c=",
}

func TestForEachQueryPairSplitsAsParseQuery(t *testing.T) {
	for _, raw := range hostileQueries {
		checkQueryPairs(t, raw)
	}
}

func FuzzForEachQueryPair(f *testing.F) {
	for _, raw := range hostileQueries {
		f.Add(raw)
	}
	f.Fuzz(checkQueryPairs)
}

func checkQueryPairs(t *testing.T, raw string) {
	want, _ := url.ParseQuery(raw)
	got := url.Values{}
	forEachQueryPair(raw, func(name, value string) { got[name] = append(got[name], value) })
	if len(want) == 0 && len(got) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%q: got %v, want url.ParseQuery's %v", raw, got, want)
	}
}

func TestCallsFilterNamesEachBadParameterOnce(t *testing.T) {
	_, err := parseCallsFilter("bogus=1&bogus=2&limit=1&limit=2&limit=3&cursor=c", false)
	if err == nil {
		t.Fatal("got no error")
	}
	fields := map[string]int{}
	for _, fe := range fieldErrors(t, err) {
		fields[fe.Field+": "+fe.Message]++
	}
	want := map[string]int{"bogus: unknown query parameter": 1, "limit: unknown query parameter": 1, "cursor: unknown query parameter": 1}
	if !reflect.DeepEqual(fields, want) {
		t.Fatalf("got %v, want %v", fields, want)
	}
	_, err = parseCallsFilter("limit=1&limit=2&limit=3", true)
	if fe := fieldErrors(t, err); len(fe) != 1 || fe[0].Field != "limit" || fe[0].Message != "must be given at most once" {
		t.Fatalf("got %v, want limit given more than once, said once", fe)
	}
}

func fieldErrors(t *testing.T, err error) []domain.FieldError {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.CodeValidation {
		t.Fatalf("got %v, want a validation error", err)
	}
	return de.Fields
}
