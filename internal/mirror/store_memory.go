package mirror

import (
	"context"
	"slices"
	"sync"
	"time"

	"switchboard/internal/domain"
)

// MemoryStore is the Store, Leases and FollowRequests of a gateway without
// Redis: one process, so one replica. It is safe for concurrent use and
// behaves as RedisStore does (one conformance suite): the same serving
// order, change detection, fencing and lease expiry, on an injected clock.
type MemoryStore struct {
	now func() time.Time

	mu       sync.Mutex
	accounts map[string]*memAccount
}

var (
	_ Store          = (*MemoryStore)(nil)
	_ Leases         = (*MemoryStore)(nil)
	_ FollowRequests = (*MemoryStore)(nil)
)

// memAccount is one account's mirror. The indexes hold sort members in
// ascending byte order (oldest first; see store_order.go).
type memAccount struct {
	calls      map[string]memCall
	byTime     []string
	byCompany  map[string][]string
	byCampaign map[campaignIndex][]string
	state      []byte
	pending    map[string]Change // UpsertPending's changes not announced

	lease     memLease
	fences    int64 // the last fencing token granted
	requested int64
	followed  int64
}

// memCall is a held call: its canonical record (never modified: pages
// share it) and where it is indexed.
type memCall struct {
	record   string
	member   string
	company  string // "" when not in a company index
	campaign string // "" when not in a campaign index
}

// campaignIndex names one company's campaign.
type campaignIndex struct{ company, campaign string }

// NewMemoryStore returns an empty store reading time (for lease expiry)
// from now; nil means time.Now.
func NewMemoryStore(now func() time.Time) *MemoryStore {
	if now == nil {
		now = time.Now
	}
	return &MemoryStore{now: now, accounts: make(map[string]*memAccount)}
}

// account returns account's mirror, creating it. The caller holds s.mu.
func (s *MemoryStore) account(account string) *memAccount {
	a, ok := s.accounts[account]
	if !ok {
		a = &memAccount{
			calls:      make(map[string]memCall),
			byCompany:  make(map[string][]string),
			byCampaign: make(map[campaignIndex][]string),
		}
		s.accounts[account] = a
	}
	return a
}

// lookup returns account's mirror, or an empty one (not kept) when the
// store holds nothing of it, so that reads never grow the store. The caller
// holds s.mu.
func (s *MemoryStore) lookup(account string) *memAccount {
	if a, ok := s.accounts[account]; ok {
		return a
	}
	return &memAccount{}
}

// fenced reports whether fence is not the token of account's live lease.
// The caller holds s.mu.
func (s *MemoryStore) fenced(a *memAccount, fence int64) bool {
	return !a.lease.heldBy(fence, s.now())
}

// Upsert implements Store.
func (s *MemoryStore) Upsert(_ context.Context, account string, fence int64, calls []domain.Call) ([]Change, error) {
	return s.upsert(account, fence, calls, false)
}

// UpsertPending implements Store.
func (s *MemoryStore) UpsertPending(_ context.Context, account string, fence int64, calls []domain.Call) ([]Change, error) {
	return s.upsert(account, fence, calls, true)
}

// upsert writes calls; with pending, it leaves their changes pending.
func (s *MemoryStore) upsert(account string, fence int64, calls []domain.Call, pending bool) ([]Change, error) {
	held := make([]memCall, len(calls))
	for i, c := range calls {
		rec, err := canonicalRecord(c)
		if err != nil {
			return nil, err
		}
		held[i] = memCall{record: string(rec), member: sortMember(callKey(c))}
		if held[i].company = orEmpty(c.CompanyID); held[i].company != "" {
			held[i].campaign = orEmpty(c.Campaign.Name)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(account)
	if s.fenced(a, fence) {
		return nil, ErrFenced
	}
	out := make([]Change, len(calls))
	for i, c := range calls {
		old, ok := a.calls[c.ID]
		switch {
		case ok && old.record == held[i].record:
			out[i] = Unchanged
			continue
		case ok:
			a.unindex(old)
			out[i] = Updated
		default:
			out[i] = Created
		}
		a.calls[c.ID] = held[i]
		a.index(held[i])
		if pending {
			a.markPending(c.ID, out[i])
		}
	}
	return out, nil
}

// markPending leaves change of id pending; a call pending as created stays
// so.
func (a *memAccount) markPending(id string, change Change) {
	if a.pending == nil {
		a.pending = make(map[string]Change)
	}
	if a.pending[id] != Created {
		a.pending[id] = change
	}
}

// Pending implements Store.
func (s *MemoryStore) Pending(_ context.Context, account string) ([]PendingChange, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.lookup(account)
	out := make([]PendingChange, 0, len(a.pending))
	for id, ch := range a.pending {
		out = append(out, PendingChange{ID: id, Change: ch})
	}
	return out, nil
}

// Announced implements Store.
func (s *MemoryStore) Announced(_ context.Context, account string, fence int64, ids []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(account)
	if s.fenced(a, fence) {
		return ErrFenced
	}
	for _, id := range ids {
		delete(a.pending, id)
	}
	return nil
}

// index adds c to the indexes it belongs to.
func (a *memAccount) index(c memCall) {
	a.byTime = insertSorted(a.byTime, c.member)
	if c.company != "" {
		a.byCompany[c.company] = insertSorted(a.byCompany[c.company], c.member)
	}
	if c.campaign != "" {
		k := campaignIndex{c.company, c.campaign}
		a.byCampaign[k] = insertSorted(a.byCampaign[k], c.member)
	}
}

// unindex removes c from every index it was added to, dropping an index
// left empty.
func (a *memAccount) unindex(c memCall) {
	a.byTime = removeSorted(a.byTime, c.member)
	if c.company != "" {
		if rest := removeSorted(a.byCompany[c.company], c.member); len(rest) > 0 {
			a.byCompany[c.company] = rest
		} else {
			delete(a.byCompany, c.company)
		}
	}
	if c.campaign != "" {
		k := campaignIndex{c.company, c.campaign}
		if rest := removeSorted(a.byCampaign[k], c.member); len(rest) > 0 {
			a.byCampaign[k] = rest
		} else {
			delete(a.byCampaign, k)
		}
	}
}

func insertSorted(s []string, m string) []string {
	i, found := slices.BinarySearch(s, m)
	if found {
		return s
	}
	return slices.Insert(s, i, m)
}

func removeSorted(s []string, m string) []string {
	i, found := slices.BinarySearch(s, m)
	if !found {
		return s
	}
	return slices.Delete(s, i, i+1)
}

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, account, id string) (domain.Call, bool, error) {
	s.mu.Lock()
	c, ok := s.lookup(account).calls[id]
	s.mu.Unlock()
	if !ok {
		return domain.Call{}, false, nil
	}
	call, err := decodeRecord([]byte(c.record))
	return call, err == nil, err
}

// Query implements Store. It binary-searches the chosen index for the
// page's upper bound and reads Limit+1 members down from it.
func (s *MemoryStore) Query(_ context.Context, account string, q Query) (Page, error) {
	if err := checkStoreQuery(q); err != nil {
		return Page{}, err
	}
	upper, lower := memberBounds(q)
	s.mu.Lock()
	a := s.lookup(account)
	index := a.byTime
	switch {
	case q.CampaignName != "":
		index = a.byCampaign[campaignIndex{q.CompanyID, q.CampaignName}]
	case q.CompanyID != "":
		index = a.byCompany[q.CompanyID]
	}
	end := len(index)
	if upper != "" {
		end, _ = slices.BinarySearch(index, upper) // first member >= upper
	}
	records := make([]string, 0, min(q.Limit, end))
	var last string // the member of the page's last call, when more match
	for i := end - 1; i >= 0 && index[i] >= lower; i-- {
		if len(records) == q.Limit {
			last = index[i+1]
			break
		}
		records = append(records, a.calls[idOfMember(index[i])].record)
	}
	s.mu.Unlock()
	return storedPage(q, records, last)
}

// storedPage makes the page of records, each call's canonical record in
// serving order; last is the sort member of the last of them when more
// calls match (the page's next key), "" when none does.
func storedPage(q Query, records []string, last string) (Page, error) {
	var p Page
	if last != "" {
		k, err := keyOfMember(last)
		if err != nil {
			return Page{}, err
		}
		p.Next = &k
	}
	if q.Encoded {
		p.Records = records
		return p, nil
	}
	p.Calls = make([]domain.Call, len(records))
	for i, r := range records {
		c, err := decodeRecord([]byte(r))
		if err != nil {
			return Page{}, err
		}
		p.Calls[i] = c
	}
	return p, nil
}

// Count implements Store.
func (s *MemoryStore) Count(_ context.Context, account string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.lookup(account).calls), nil
}

// Trim implements Store.
func (s *MemoryStore) Trim(_ context.Context, account string, fence int64, before time.Time) error {
	bound := millisMember(ceilMillis(before))
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(account)
	if s.fenced(a, fence) {
		return ErrFenced
	}
	for len(a.byTime) > 0 && a.byTime[0] < bound {
		id := idOfMember(a.byTime[0])
		c := a.calls[id]
		c.member = a.byTime[0] // always the same; set so the loop ends whatever
		a.unindex(c)
		delete(a.calls, id)
	}
	return nil
}

// State implements Store.
func (s *MemoryStore) State(_ context.Context, account string) (State, error) {
	s.mu.Lock()
	b := s.lookup(account).state
	s.mu.Unlock()
	if b == nil {
		return State{}, nil
	}
	return decodeState(b)
}

// SaveState implements Store.
func (s *MemoryStore) SaveState(_ context.Context, account string, fence int64, st State) error {
	b, err := encodeState(st)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.account(account)
	if s.fenced(a, fence) {
		return ErrFenced
	}
	a.state = b
	return nil
}
