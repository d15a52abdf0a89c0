package handlers

import (
	"sync"
	"time"
)

// maxCampaignMemo bounds the campaign resolutions a replica remembers. Only
// campaign ids that were found in a campaign list are remembered, so the
// number is bounded by the campaigns of the configured accounts anyway;
// the cap keeps that true whatever the accounts hold.
const maxCampaignMemo = 10_000

// campaignMemo remembers, per tenant and Phonewagon account, which company
// and campaign name a campaign id resolved to, until the campaign list it
// was read from stops being fresh: a resolution is never used longer than
// the list behind it would have been. Its zero value is ready; it is safe
// for concurrent use.
type campaignMemo struct {
	mu      sync.Mutex
	entries map[campaignMemoKey]campaignMemoEntry
}

// campaignMemoKey names one resolution. The tenant is part of it, so that
// nothing one tenant's lists resolved is served to another, even one that
// shares the account; the account too, so that a reload that points a
// tenant at another account starts afresh.
type campaignMemoKey struct {
	tenant, account, campaign string
}

type campaignMemoEntry struct {
	company, name string
	expires       time.Time // the list's freshness end
}

// get returns the resolution of key while it is fresh at now.
func (m *campaignMemo) get(key campaignMemoKey, now time.Time) (company, name string, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, found := m.entries[key]
	if !found {
		return "", "", false
	}
	if !now.Before(e.expires) {
		delete(m.entries, key)
		return "", "", false
	}
	return e.company, e.name, true
}

// put remembers a resolution until expires. When the memo is full it first
// drops what has expired; if it is still full, the resolution is not
// remembered (the next request reads the lists again, which costs no budget
// while they are fresh).
func (m *campaignMemo) put(key campaignMemoKey, company, name string, expires, now time.Time) {
	if !now.Before(expires) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = make(map[campaignMemoKey]campaignMemoEntry)
	}
	if _, found := m.entries[key]; !found && len(m.entries) >= maxCampaignMemo {
		for k, e := range m.entries {
			if !now.Before(e.expires) {
				delete(m.entries, k)
			}
		}
		if len(m.entries) >= maxCampaignMemo {
			return
		}
	}
	m.entries[key] = campaignMemoEntry{company: company, name: name, expires: expires}
}
