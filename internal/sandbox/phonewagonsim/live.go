package phonewagonsim

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"time"
)

// Defaults of a live account (Account.ArrivalEvery > 0).
const (
	// DefaultCompleteAfter is how long a new call stays in-progress.
	DefaultCompleteAfter = 2 * time.Minute
	// SandboxArrivalEvery is the mean gap between new calls that sandbox
	// mode uses: a few calls a minute, so that a newcomer sees the mirror
	// follow them.
	SandboxArrivalEvery = 20 * time.Second

	// inProgress is the status of a call that has not ended yet.
	inProgress = "in-progress"
)

// arrival is one call of a live account: its final record and when the
// upstream shows it, then shows it completed.
type arrival struct {
	final     Call
	visibleAt int64 // epoch ms: from then on GET /calls returns it
	doneAt    int64 // epoch ms: from then on with its final record
	shown     bool  // inserted into the account's calls
	done      bool  // shown with its final record
}

// live generates the calls that arrive while the simulator runs. Arrivals
// are a pure function of the account and the clock: generated in start-time
// order from their own seeded source (so the history stays what it was), and
// applied to the served calls when a request or Dataset looks at the clock.
// A clock that goes backwards does not take calls away again.
type live struct {
	g             *generator
	lines         []line
	callers       []caller
	seen          map[string]bool
	every         time.Duration
	completeAfter time.Duration
	lateBy        time.Duration
	nextStart     int64 // epoch ms of the next call to generate
	nextID        int64
	burst         int // calls left in the current same-second burst
	pending       []*arrival
}

// newLive prepares the arrivals of a, starting after from. firstID is above
// every historical id, so new calls keep the upstream's rising ids.
func newLive(a Account, lines []line, from time.Time, firstID int64) *live {
	h := fnv.New64a()
	_, _ = h.Write([]byte("live/" + a.ClientID))
	g := &generator{r: rand.New(rand.NewPCG(uint64(a.Seed), h.Sum64())), v: newVocab()}
	l := &live{
		g:             g,
		lines:         lines,
		seen:          make(map[string]bool),
		every:         a.ArrivalEvery,
		completeAfter: a.CompleteAfter,
		lateBy:        a.LateBy,
		nextID:        firstID,
	}
	if l.completeAfter == 0 {
		l.completeAfter = DefaultCompleteAfter
	}
	l.callers = make([]caller, 50)
	for i := range l.callers {
		l.callers[i] = caller{number: g.number(g.v.areaCodes), name: g.contactName()}
	}
	l.nextStart = from.Truncate(time.Second).UnixMilli()
	l.advanceStart()
	return l
}

// advanceStart moves nextStart to the next call's whole second: the same
// second within a burst (about one in four arrivals starts a burst of 2–8
// calls sharing a start time, as on the real upstream), otherwise a gap of
// 1 s to 2×every.
func (l *live) advanceStart() {
	if l.burst > 0 {
		l.burst--
		return
	}
	mean := max(int64(l.every/time.Second), 1)
	l.nextStart += 1000 * (1 + l.g.r.Int64N(2*mean))
	if l.g.r.IntN(4) == 0 {
		l.burst = 1 + l.g.r.IntN(7)
	}
}

// apply brings calls (newest first, ties by descending id) up to nowMS:
// it generates every call started by then, inserts those now visible and
// completes those whose time has come. It returns the updated slice.
func (l *live) apply(calls []Call, nowMS int64) []Call {
	for l.nextStart <= nowMS {
		l.pending = append(l.pending, l.generate(l.nextStart))
		l.advanceStart()
	}
	kept := l.pending[:0]
	for _, a := range l.pending {
		if !a.shown && a.visibleAt <= nowMS {
			rec := a.final
			if a.doneAt > nowMS {
				rec = inProgressView(rec)
			} else {
				a.done = true
			}
			calls = insertCall(calls, rec)
			a.shown = true
		}
		if a.shown && !a.done && a.doneAt <= nowMS {
			replaceCall(calls, a.final)
			a.done = true
		}
		if !a.done {
			kept = append(kept, a)
		}
	}
	clear(l.pending[len(kept):])
	l.pending = kept
	return calls
}

// generate builds the call starting at startMS. One in five becomes visible
// late, up to lateBy after its start (the upstream indexes it late), so a
// follow must look back further than the newest call it holds.
func (l *live) generate(startMS int64) *arrival {
	c := l.callers[l.g.r.IntN(len(l.callers))]
	call := l.g.call(0, l.nextID, startMS, l.lines[l.g.r.IntN(len(l.lines))], c, l.seen)
	l.nextID += 1 + l.g.r.Int64N(3)
	a := &arrival{final: call, visibleAt: startMS, doneAt: startMS + l.completeAfter.Milliseconds()}
	if l.lateBy > 0 && l.g.r.IntN(5) == 0 {
		a.visibleAt += l.g.r.Int64N(l.lateBy.Milliseconds() + 1)
	}
	return a
}

// inProgressView is c while the call is still going on: no duration, no
// recording yet.
func inProgressView(c Call) Call {
	c.Status = inProgress
	c.Duration = 0
	c.RecordingURL = ""
	return c
}

// insertCall puts c at its place in serving order.
func insertCall(calls []Call, c Call) []Call {
	i, _ := slices.BinarySearchFunc(calls, c, compareServing)
	return slices.Insert(calls, i, c)
}

// replaceCall swaps in the record with c's id; it is there by construction.
func replaceCall(calls []Call, c Call) {
	i, found := slices.BinarySearchFunc(calls, c, compareServing)
	if !found {
		panic(fmt.Sprintf("phonewagonsim: live call %d is not in the served calls", c.ID))
	}
	calls[i] = c
}

// compareServing orders calls as GET /calls returns them: start time
// descending, then id descending.
func compareServing(a, b Call) int {
	switch {
	case a.StartTime != b.StartTime:
		if a.StartTime > b.StartTime {
			return -1
		}
		return 1
	case a.ID > b.ID:
		return -1
	case a.ID < b.ID:
		return 1
	}
	return 0
}
