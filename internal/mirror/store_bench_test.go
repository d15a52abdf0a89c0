package mirror

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/redistest"
	"switchboard/internal/sandbox/phonewagonsim"
)

// sandboxCalls returns n calls of the sandbox's Phonewagon account, normalized
// as the gateway's client normalizes them (the field shapes, sizes, bursts
// and ties of the real upstream), newest first.
func sandboxCalls(tb testing.TB, n int) []domain.Call {
	tb.Helper()
	srv, err := phonewagonsim.New(phonewagonsim.Config{Accounts: []phonewagonsim.Account{
		{ClientID: "bench", ClientSecret: domain.Secret("bench-secret"), Seed: 1, Calls: n},
	}})
	if err != nil {
		tb.Fatalf("phonewagonsim.New: %v", err)
	}
	d, _ := srv.Dataset("bench")
	out := make([]domain.Call, len(d.Calls))
	for i, v := range d.Calls {
		out[i] = normalizeSimCall(v)
	}
	return out
}

// normalizeSimCall maps a simulator record as the Phonewagon client's
// normalization does: "" → nil, ids as strings, epoch ms → UTC time,
// runs of whitespace in the contact name collapsed.
func normalizeSimCall(v phonewagonsim.Call) domain.Call {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	started := time.UnixMilli(v.StartTime).UTC()
	c := domain.Call{
		ID: strconv.FormatInt(v.ID, 10), Source: domain.SourcePhonewagon,
		SID: opt(v.SID), Direction: opt(v.Direction), Status: opt(v.Status),
		From: opt(v.FromNumber), To: opt(v.ToNumber), StartedAt: &started,
		RecordingURL: opt(v.RecordingURL), FirstTimeCaller: suitePtr(v.IsFirstTimeCaller),
		ContactName: opt(strings.Join(strings.Fields(v.ContactName), " ")),
		AccountID:   opt(strconv.FormatInt(v.AccountID, 10)), CompanyID: opt(strconv.FormatInt(v.CompanyID, 10)),
		Campaign: domain.CallCampaign{Name: opt(v.CampaignName)},
		Attribution: domain.CallAttribution{
			UserSource: opt(v.UserSource), Referrer: opt(v.ReferralValue), LandingPage: opt(v.LandingPage),
			Keyword: opt(v.Keyword), MatchType: opt(v.MatchType), Network: opt(v.Network),
			Device: opt(v.Device), AdPosition: opt(v.AdPosition),
			ClickIDs: domain.ClickIDs{GCLID: opt(v.GCLID), FBCLID: opt(v.FBCLID), MSCLKID: opt(v.MSCLKID)},
			UTM: domain.UTM{Source: opt(v.UTMSource), Medium: opt(v.UTMMedium), Campaign: opt(v.UTMCampaign),
				Term: opt(v.UTMTerm), Content: opt(v.UTMContent)},
			Unbounce: domain.Unbounce{PageID: opt(v.UnbouncePageID), VariantID: opt(v.UnbounceVariantID),
				VisitorID: opt(v.UnbounceVisitorID)},
		},
	}
	if v.Duration > 0 || v.Status == "completed" {
		c.DurationSeconds = suitePtr(v.Duration)
	}
	return c
}

// loadCalls upserts calls in pages of 1000, as a backfill writes them.
func loadCalls(tb testing.TB, s fullStore, account string, calls []domain.Call) int64 {
	tb.Helper()
	fence, ok, err := s.Acquire(context.Background(), account, "bench", time.Hour)
	if err != nil || !ok {
		tb.Fatalf("Acquire = %v, %v", ok, err)
	}
	for i := 0; i < len(calls); i += 1000 {
		if _, err := s.Upsert(context.Background(), account, fence, calls[i:min(i+1000, len(calls))]); err != nil {
			tb.Fatalf("Upsert: %v", err)
		}
	}
	return fence
}

// BenchmarkQuery reads one page of 100 mirrored calls out of a history of
// 20,000, with and without filters, on both stores: the first page and a
// page deep in the history (After in the middle), and the first page
// encoded (as GET /v1/calls reads it).
func BenchmarkQuery(b *testing.B) {
	calls := sandboxCalls(b, 20_000)
	company, campaign := orEmpty(calls[0].CompanyID), orEmpty(calls[0].Campaign.Name)
	middle := callKey(calls[len(calls)/2])
	stores := []struct {
		name string
		open func(b *testing.B) fullStore
	}{
		{"memory", func(*testing.B) fullStore { return NewMemoryStore(nil) }},
		{"redis", func(b *testing.B) fullStore { rdb, prefix := redistest.Open(b); return NewRedisStore(rdb, prefix) }},
	}
	queries := []struct {
		name string
		q    Query
	}{
		{"no filter", Query{Limit: 100}},
		{"no filter encoded", Query{Limit: 100, Encoded: true}},
		{"no filter deep", Query{Limit: 100, After: &middle}},
		{"company", Query{Limit: 100, CompanyID: company}},
		{"company and campaign deep", Query{Limit: 100, CompanyID: company, CampaignName: campaign, After: &middle}},
		{"company since a week", Query{Limit: 100, CompanyID: company, Since: calls[0].StartedAt.Add(-7 * 24 * time.Hour)}},
	}
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			loadCalls(b, s, "bench", calls)
			for _, qc := range queries {
				b.Run(qc.name, func(b *testing.B) {
					for b.Loop() {
						p, err := s.Query(context.Background(), "bench", qc.q)
						if err != nil || len(p.Calls)+len(p.Records) != 100 {
							b.Fatalf("Query = %d calls, %d records, %v; want 100", len(p.Calls), len(p.Records), err)
						}
					}
				})
			}
		})
	}
}
