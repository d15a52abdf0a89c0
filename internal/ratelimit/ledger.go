package ratelimit

import (
	"slices"
	"sync"
	"time"
)

// ledger is one replica's own record of an account's budget: every admission
// it made, whether the shared store or the fallback took it, plus the other
// replicas' admissions as last seen in the shared window, and the pause.
//
// It is what keeps the budget across a Redis outage or loss: while the
// shared store is down (or being re-seeded) the replica admits against this
// window (its own admissions and the carried ones) with its share of the
// limit, and when the shared window is back, or turns out to have been
// lost, the replica re-seeds it with its own admissions. Times are on the
// replica's clock. It is safe for concurrent use.
type ledger struct {
	mu  sync.Mutex
	own []ownAdmission // ascending by at
	// carried is how many admissions of other replicas the shared window
	// held at carriedAt. They are counted until carriedAt + window: none of
	// them can leave the window later than that.
	carried     int
	carriedAt   time.Time
	pausedUntil time.Time
}

// ownAdmission is one admission of this replica. id is its member in the
// shared window, so that re-seeding the same admission twice adds it once.
type ownAdmission struct {
	at time.Time
	id string
}

// Admission is one of this replica's admissions, as a re-seed sends it to
// the shared store: its member id and how long ago it was made.
type Admission struct {
	ID  string
	Age time.Duration
}

// record adds an admission made at at.
func (l *ledger) record(at time.Time, id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.insert(at, id)
}

// insert adds an admission in order. l.mu must be held.
func (l *ledger) insert(at time.Time, id string) {
	i, _ := slices.BinarySearchFunc(l.own, at, func(a ownAdmission, t time.Time) int { return a.at.Compare(t) })
	l.own = slices.Insert(l.own, i, ownAdmission{at: at, id: id})
}

// carry remembers the shared window's count at now, of which this replica's
// own admissions are known: the rest are the other replicas'. A larger count
// carried earlier is kept while it can still be in the window: a smaller
// count may come from a window that was just lost and not yet re-seeded, and
// over-counting only makes the fallback more careful.
func (l *ledger) carry(count int, now time.Time, window time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.trim(now, window)
	others := max(0, count-len(l.own))
	if others < l.carried && l.carriedAt.Add(window).After(now) {
		return
	}
	l.carried = others
	l.carriedAt = now
}

// pause refuses admissions until until, unless a longer pause holds.
func (l *ledger) pause(until time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
}

// decide admits one request at now if the window (own and carried
// admissions) holds fewer than limit and no pause holds, when take is set;
// it returns the window's snapshot and the new admission's id.
func (l *ledger) decide(now time.Time, limit int, window time.Duration, take bool, newID func() string) (snapshot, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.trim(now, window)
	w := l.window(now, window)
	var id string
	if take && !l.pausedUntil.After(now) && len(w.admissions) < limit {
		id = newID()
		l.insert(now, id)
		w = l.window(now, window)
		return w.snapshot(now, true, limit), id
	}
	return w.snapshot(now, false, limit), ""
}

// recent returns this replica's admissions in the window ending at now.
func (l *ledger) recent(now time.Time, window time.Duration) []Admission {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.trim(now, window)
	out := make([]Admission, len(l.own))
	for i, a := range l.own {
		out[i] = Admission{ID: a.id, Age: now.Sub(a.at)}
	}
	return out
}

// window merges the own and the carried admissions into one sorted window.
// l.mu must be held, and l.own trimmed.
func (l *ledger) window(now time.Time, window time.Duration) memoryAccount {
	times := make([]time.Time, 0, len(l.own)+l.carried)
	for _, a := range l.own {
		times = append(times, a.at)
	}
	if l.carried > 0 && l.carriedAt.Add(window).After(now) {
		for range l.carried {
			times = append(times, l.carriedAt)
		}
		slices.SortFunc(times, time.Time.Compare)
	}
	return memoryAccount{admissions: times, pausedUntil: l.pausedUntil}
}

// trim drops own admissions outside the window (now-window, now]. l.mu must
// be held.
func (l *ledger) trim(now time.Time, window time.Duration) {
	cutoff := now.Add(-window)
	n := 0
	for n < len(l.own) && !l.own[n].at.After(cutoff) {
		n++
	}
	if n > 0 {
		l.own = slices.Delete(l.own, 0, n)
	}
}
