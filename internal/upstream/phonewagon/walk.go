package phonewagon

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"switchboard/internal/domain"
)

// An exact walk of the call history (SPEC §3).
//
// The upstream lists calls newest first and pages with a next link that asks
// for end_time = the last call's start_time - 1. Start times come in whole
// seconds in practice, so several calls share one; when a page ends inside
// such an instant, that link skips the instant's other calls for good.
//
// The client therefore builds the next query itself: end_time = the last
// served call's start_time (end_time is inclusive), with the ids already
// served at that instant in Skip, so the next page leaves them out. To keep
// those skipped ids from making a page short, the upstream is asked for
// PageSize + len(Skip) calls (capped at MaxPageSize); a full answer then
// always holds at least one call not yet served, so every page moves on.
//
// Skip is bounded: by MaxSkip (MaxPageSize - 1, the most that still
// guarantees progress) and by the query's own SkipLimit (a cursor keeps it
// low). When the calls served at the last instant would exceed the bound,
// the page ends before that instant, which the next page then serves from
// its start; when a single instant alone holds more calls than the bound
// allows to carry, the walk stops with an upstream-error rather than skip
// or repeat a call (errTieTooLarge).

// MaxSkip is the most ids a next query carries in Skip: with MaxPageSize
// of them, a full upstream page could hold only calls already served.
const MaxSkip = MaxPageSize - 1

// listedCall is one call as the upstream listed it, with its start time to
// the millisecond (domain.Call.StartedAt has whole seconds only).
type listedCall struct {
	call        domain.Call
	startMillis int64 // -1 when the record has none
}

// pageSize is the number of calls q asks for.
func pageSize(q domain.CallsQuery) int {
	if q.PageSize == 0 {
		return MaxPageSize
	}
	return min(max(q.PageSize, 1), MaxPageSize)
}

// upstreamPageSize is the page_size sent for q: room for the skipped ids on
// top of the calls wanted.
func upstreamPageSize(q domain.CallsQuery) int {
	return min(pageSize(q)+len(q.Skip), MaxPageSize)
}

// skipLimit is the bound on the next query's Skip.
func skipLimit(q domain.CallsQuery) int {
	if q.SkipLimit <= 0 {
		return MaxSkip
	}
	return min(q.SkipLimit, MaxSkip)
}

// errNoProgress: the upstream said more calls match but listed only calls
// already served; asking again would loop.
var errNoProgress = errors.New("the upstream listed only calls already served, yet said more match")

// errTieTooLarge returns the error of an instant holding more served calls
// than a next query may carry.
func errTieTooLarge(limit int) error {
	return &domain.Error{
		Code: domain.CodeUpstreamError,
		Message: "more than " + strconv.Itoa(limit) + " calls share one start time across a page boundary; " +
			"ask for larger pages or a narrower time range",
	}
}

// pageOf builds the page served for q from what the upstream listed for it
// (newest first) and more, whether the upstream said more calls match.
func pageOf(q domain.CallsQuery, listed []listedCall, more bool) (domain.CallsPage, error) {
	skip := make(map[string]bool, len(q.Skip))
	for _, id := range q.Skip {
		skip[id] = true
	}
	want := pageSize(q)
	fresh := make([]listedCall, 0, min(len(listed), want))
	for _, l := range listed {
		if skip[l.call.ID] {
			continue
		}
		if len(fresh) == want {
			more = true // the upstream had room for the skipped ids
			break
		}
		fresh = append(fresh, l)
	}
	if !more {
		return domain.CallsPage{Calls: calls(fresh)}, nil
	}
	if len(fresh) == 0 {
		return domain.CallsPage{}, badAnswer(errNoProgress)
	}
	fresh, next, err := nextQuery(q, fresh)
	if err != nil {
		return domain.CallsPage{}, err
	}
	return domain.CallsPage{Calls: calls(fresh), Next: &next}, nil
}

// nextQuery returns the query of the page after fresh (the calls served for
// q, at least one), and fresh itself, shortened when its last instant holds
// more served calls than Skip may carry.
func nextQuery(q domain.CallsQuery, fresh []listedCall) ([]listedCall, domain.CallsQuery, error) {
	limit := skipLimit(q)
	for {
		// The tail is the run of calls at the last instant, with any calls
		// after it that have no start time (they are served once, too).
		last := len(fresh) - 1
		for last >= 0 && fresh[last].startMillis < 0 {
			last--
		}
		if last < 0 {
			return nil, domain.CallsQuery{}, badAnswer(errors.New("no call of a page has a start_time to continue from"))
		}
		at := fresh[last].startMillis
		first := last
		for first > 0 && fresh[first-1].startMillis == at {
			first--
		}
		carried := 0
		if !q.End.IsZero() && q.End.UnixMilli() == at {
			carried = len(q.Skip) // the page continued inside q's instant
		}
		tail := fresh[first:]
		if carried+len(tail) <= limit {
			next := q
			next.End = time.UnixMilli(at).UTC()
			next.Skip = make([]string, 0, carried+len(tail))
			next.Skip = append(next.Skip, q.Skip[:carried]...)
			for _, l := range tail {
				next.Skip = append(next.Skip, l.call.ID)
			}
			return fresh, next, nil
		}
		if first == 0 {
			return nil, domain.CallsQuery{}, fmt.Errorf("instant %d: %w", at, errTieTooLarge(limit))
		}
		// End the page before the instant; the next page serves it whole.
		fresh = fresh[:first]
	}
}

// calls returns the records of listed.
func calls(listed []listedCall) []domain.Call {
	out := make([]domain.Call, len(listed))
	for i := range listed {
		out[i] = listed[i].call
	}
	return out
}
