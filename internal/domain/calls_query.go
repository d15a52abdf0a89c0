package domain

import "time"

// CallsQuery asks for one page of the Phonewagon call history, newest first.
// The HTTP layer builds the first one from the caller's filters; the
// Phonewagon client answers it and builds the query of the following page
// (CallsPage.Next), which the HTTP layer carries in its signed cursor and the
// mirror in its own state.
type CallsQuery struct {
	// CompanyID and CampaignID filter the history; empty means unset.
	CompanyID  string
	CampaignID string
	// Start and End bound the calls' start time, both inclusive, to the
	// millisecond as the upstream counts; zero means unset.
	Start, End time.Time
	// PageSize is the number of calls wanted, 1..1000; 0 means 1000.
	PageSize int
	// Skip lists the ids of calls starting exactly at End that an earlier
	// page already served: the page leaves them out. It is how a walk
	// continues inside an instant that a page boundary cut (SPEC §3).
	Skip []string
	// SkipLimit bounds how many ids the query of the next page may carry in
	// Skip; 0 means the client's own maximum. A walk whose next query is
	// carried in a cursor sets it low to keep the cursor short.
	SkipLimit int
}

// CallsPage is one page of the call history and the query of the page after
// it, nil on the last one.
type CallsPage struct {
	Calls []Call
	Next  *CallsQuery
}
