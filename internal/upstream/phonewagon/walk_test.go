package phonewagon

import (
	"reflect"
	"strconv"
	"testing"
	"time"

	"switchboard/internal/domain"
)

// at lists calls named by id, each at a start time in whole seconds.
func at(pairs ...any) []listedCall {
	var out []listedCall
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, listedCall{call: domain.Call{ID: pairs[i].(string)}, startMillis: int64(pairs[i+1].(int)) * 1000})
	}
	return out
}

func ids(calls []domain.Call) []string {
	out := []string{}
	for _, c := range calls {
		out = append(out, c.ID)
	}
	return out
}

func sec(s int) time.Time { return time.UnixMilli(int64(s) * 1000).UTC() }

func TestPageOfBuildsTheNextQueryInsideTheLastInstant(t *testing.T) {
	since := sec(1)
	tests := []struct {
		name     string
		q        domain.CallsQuery
		listed   []listedCall
		more     bool
		wantIDs  []string
		wantNext *domain.CallsQuery // nil: last page
	}{
		{"a page cut inside a burst continues at that second, skipping what it served",
			domain.CallsQuery{CompanyID: "7", Start: since, PageSize: 2},
			at("a", 30, "b", 20, "c", 20), true, // the upstream had room for 2 and says more
			[]string{"a", "b"},
			&domain.CallsQuery{CompanyID: "7", Start: since, End: sec(20), PageSize: 2, Skip: []string{"b"}}},
		{"the next page leaves out the skipped ids and carries them on while the burst lasts",
			domain.CallsQuery{Start: since, End: sec(20), PageSize: 2, Skip: []string{"b"}},
			at("b", 20, "c", 20, "d", 20), true,
			[]string{"c", "d"},
			&domain.CallsQuery{Start: since, End: sec(20), PageSize: 2, Skip: []string{"b", "c", "d"}}},
		{"a page that leaves the burst keeps only the ids of its own last second",
			domain.CallsQuery{End: sec(20), PageSize: 3, Skip: []string{"b", "c"}},
			at("b", 20, "c", 20, "d", 20, "e", 19, "f", 19), true,
			[]string{"d", "e", "f"},
			&domain.CallsQuery{End: sec(19), PageSize: 3, Skip: []string{"e", "f"}}},
		{"more calls than wanted after the skipped ones mean more even without a next link",
			domain.CallsQuery{End: sec(20), PageSize: 1, Skip: []string{"b"}},
			at("b", 20, "c", 20), false,
			[]string{"c"}, nil},
		{"a page consisting only of skipped ids is the empty last page",
			domain.CallsQuery{End: sec(20), PageSize: 5, Skip: []string{"b", "c"}},
			at("b", 20, "c", 20), false,
			[]string{}, nil},
		{"a last page has no next query",
			domain.CallsQuery{PageSize: 5},
			at("a", 3, "b", 3, "c", 2), false,
			[]string{"a", "b", "c"}, nil},
		{"a burst over the skip limit ends the page before it, to be served whole next",
			domain.CallsQuery{PageSize: 4, SkipLimit: 2},
			at("a", 30, "b", 20, "c", 20, "d", 20), true,
			[]string{"a"},
			&domain.CallsQuery{End: sec(30), PageSize: 4, SkipLimit: 2, Skip: []string{"a"}}},
		{"a call without a start time after the last second is skipped with it",
			domain.CallsQuery{PageSize: 2},
			append(at("a", 30), listedCall{call: domain.Call{ID: "x"}, startMillis: -1}), true,
			[]string{"a", "x"},
			&domain.CallsQuery{End: sec(30), PageSize: 2, Skip: []string{"a", "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := pageOf(tt.q, tt.listed, tt.more)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if got := ids(page.Calls); !reflect.DeepEqual(got, tt.wantIDs) {
				t.Errorf("got calls %v, want %v", got, tt.wantIDs)
			}
			if !reflect.DeepEqual(page.Next, tt.wantNext) {
				t.Errorf("got next %+v, want %+v", page.Next, tt.wantNext)
			}
		})
	}
}

func TestPageOfRefusesWhatItCannotWalkExactly(t *testing.T) {
	burst := func(n int) []listedCall {
		var out []listedCall
		for i := range n {
			out = append(out, listedCall{call: domain.Call{ID: "c" + strconv.Itoa(i)}, startMillis: 20_000})
		}
		return out
	}
	tests := []struct {
		name   string
		q      domain.CallsQuery
		listed []listedCall
		more   bool
	}{
		{"a page that is one burst over the skip limit",
			domain.CallsQuery{PageSize: 3, SkipLimit: 2}, burst(3), true},
		{"a burst whose carried ids reach the skip limit",
			domain.CallsQuery{End: sec(20), PageSize: 1, SkipLimit: 2, Skip: []string{"p", "q"}}, burst(1), true},
		{"a page of only skipped ids whose upstream says more",
			domain.CallsQuery{End: sec(20), PageSize: 1, Skip: []string{"c0", "c1"}}, burst(2), true},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is an upstream error", func(t *testing.T) {
			page, err := pageOf(tt.q, tt.listed, tt.more)
			if got := domain.ErrorCode(err); got != domain.CodeUpstreamError {
				t.Errorf("got code %s (%v), page %v; want %s", got, err, ids(page.Calls), domain.CodeUpstreamError)
			}
		})
	}
}

func TestTheSkipBoundKeepsEveryFullPageMovingOn(t *testing.T) {
	// With MaxSkip ids to skip, a full upstream page still holds a call not
	// yet served.
	q := domain.CallsQuery{PageSize: MaxPageSize, Skip: make([]string, MaxSkip)}
	if got := upstreamPageSize(q); got <= len(q.Skip) {
		t.Errorf("got page_size %d for %d skipped ids, want more than them", got, len(q.Skip))
	}
	if got := skipLimit(domain.CallsQuery{SkipLimit: 5000}); got != MaxSkip {
		t.Errorf("got skip limit %d, want it capped at %d", got, MaxSkip)
	}
}
