package phonewagonsim

import (
	"sync"
	"testing"
	"time"
)

func TestALiveAccountWithExamplesNamesItsNewCallsAsItsHistory(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s, err := New(Config{
		Accounts: []Account{{ClientID: "demo-client", ClientSecret: "x", Seed: 1, Calls: 300, Examples: true, ArrivalEvery: time.Second}},
		Now:      clock, Anchor: now.Add(-time.Hour), LiveFrom: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(10 * time.Minute)
	mu.Unlock()
	d, _ := s.Dataset("demo-client")
	campaigns := map[string]Campaign{}
	for _, c := range d.Campaigns {
		campaigns[c.ID] = c
	}
	arrived := 0
	for _, c := range d.Calls {
		if c.StartTime < now.Add(-10*time.Minute).UnixMilli() {
			continue
		}
		arrived++
		want, ok := campaigns[c.CampaignID]
		if !ok || want.Name != c.CampaignName || want.CompanyID != c.CompanyID {
			t.Fatalf("new call %d: campaign %s %q of company %d, want one of the account's campaigns (%+v)",
				c.ID, c.CampaignID, c.CampaignName, c.CompanyID, want)
		}
	}
	if arrived == 0 {
		t.Fatal("no call arrived in ten minutes; the test proves nothing")
	}
}
