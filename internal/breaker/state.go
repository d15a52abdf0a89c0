package breaker

import "strconv"

// State is the position of a Breaker.
type State int

// The states of a Breaker. The numeric values are stable, so that a metrics
// gauge can export them (0 closed, 1 open, 2 half-open).
const (
	// Closed: calls go through; consecutive failures are counted.
	Closed State = iota
	// Open: calls fail fast without reaching the upstream until the open
	// interval has passed.
	Open
	// HalfOpen: one probe call is in flight (or about to be chosen); every
	// other call fails fast until the probe reports.
	HalfOpen
)

// String returns "closed", "open" or "half-open".
func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case Open:
		return "open"
	case HalfOpen:
		return "half-open"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}
