package mirror

import (
	"testing"
	"time"
)

func TestMemoryStore(t *testing.T) {
	testStoreSuite(t, func(t *testing.T) storeHarness {
		clock := &leaseClock{now: histNow}
		s := NewMemoryStore(clock.Now)
		ttl := 30 * time.Second
		return storeHarness{
			store: s,
			ttl:   ttl,
			afterTTL: func(t *testing.T, cond func() bool) {
				t.Helper()
				clock.Advance(ttl)
				if !cond() {
					t.Fatalf("the condition does not hold once the lease ttl (%v) passed", ttl)
				}
			},
			consistent: func(t *testing.T, account string) { memoryConsistent(t, s, account) },
		}
	})
}

// memoryConsistent checks that every index entry of account belongs to a
// held call filed under that index, and that every held call is in the
// time index.
func memoryConsistent(t *testing.T, s *MemoryStore, account string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.lookup(account)
	check := func(index string, members []string, belongs func(memCall) bool) int {
		for i, m := range members {
			c, ok := a.calls[idOfMember(m)]
			if !ok || c.member != m || !belongs(c) {
				t.Errorf("%s index entry %q names no call filed under it", index, m)
			}
			if i > 0 && members[i-1] >= m {
				t.Errorf("%s index is out of order at %q", index, m)
			}
		}
		return len(members)
	}
	if n := check("time", a.byTime, func(memCall) bool { return true }); n != len(a.calls) {
		t.Errorf("time index holds %d entries for %d calls", n, len(a.calls))
	}
	var companies, campaigns int
	for co, members := range a.byCompany {
		companies += check("company "+co, members, func(c memCall) bool { return c.company == co })
	}
	for k, members := range a.byCampaign {
		campaigns += check("campaign "+k.campaign, members, func(c memCall) bool { return c.company == k.company && c.campaign == k.campaign })
	}
	var wantCo, wantCa int
	for _, c := range a.calls {
		if c.company != "" {
			wantCo++
		}
		if c.campaign != "" {
			wantCa++
		}
	}
	if companies != wantCo || campaigns != wantCa {
		t.Errorf("company and campaign indexes hold %d and %d entries, want %d and %d", companies, campaigns, wantCo, wantCa)
	}
}
