package phonewagonsim

import (
	"testing"
	"time"
)

// TestAnAccountWithExamplesServesTheDocsCompaniesAndCampaign checks, over
// many seeds (so that generated ids clash with the docs' ones now and
// then), that the docs' companies and campaign exist, ids stay unique, and
// every call of the campaign s2212 is served under its name and company.
func TestAnAccountWithExamplesServesTheDocsCompaniesAndCampaign(t *testing.T) {
	anchor := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for seed := int64(0); seed < 200; seed++ {
		d, _ := generate(Account{ClientID: "demo-client", Seed: seed, Calls: 300}, anchor)
		// Force clashes on some seeds: a later company and campaign already
		// holding the docs' ids.
		if seed%3 == 0 && len(d.Companies) > 2 {
			renameCompany(&d, d.Companies[2].ID, 1001)
			last := d.Campaigns[len(d.Campaigns)-1].ID
			renameCampaign(&d, last, "s2212")
		}
		ex := withExamples(d)
		companies := map[int64]string{}
		for _, c := range ex.Companies {
			if _, dup := companies[c.ID]; dup {
				t.Fatalf("seed %d: company id %d twice", seed, c.ID)
			}
			companies[c.ID] = c.Name
		}
		if companies[1001] != "Phonewagon" || companies[9812] != "Jake's rake company" {
			t.Fatalf("seed %d: got companies %v, want 1001 Phonewagon and 9812 Jake's rake company", seed, companies)
		}
		campaigns := map[string]Campaign{}
		for _, c := range ex.Campaigns {
			if _, dup := campaigns[c.ID]; dup {
				t.Fatalf("seed %d: campaign id %s twice", seed, c.ID)
			}
			if _, ok := companies[c.CompanyID]; !ok {
				t.Fatalf("seed %d: campaign %s of unknown company %d", seed, c.ID, c.CompanyID)
			}
			campaigns[c.ID] = c
		}
		if got := campaigns["s2212"]; got.Name != "Facebook" || got.CompanyID != 1001 {
			t.Fatalf("seed %d: got campaign s2212 %+v, want Facebook of company 1001", seed, got)
		}
		n := 0
		for _, call := range ex.Calls {
			camp, ok := campaigns[call.CampaignID]
			if !ok || call.CompanyID != camp.CompanyID || call.CampaignName != camp.Name {
				t.Fatalf("seed %d: call %d has campaign %s (%q) of company %d, which the campaigns do not say (%+v)",
					seed, call.ID, call.CampaignID, call.CampaignName, call.CompanyID, camp)
			}
			if call.CampaignID == "s2212" {
				n++
			}
		}
		if n == 0 {
			t.Fatalf("seed %d: no call of campaign s2212", seed)
		}
	}
}

func renameCompany(d *Dataset, from, to int64) {
	for i := range d.Companies {
		if d.Companies[i].ID == from {
			d.Companies[i].ID = to
		}
	}
	for i := range d.Campaigns {
		if d.Campaigns[i].CompanyID == from {
			d.Campaigns[i].CompanyID = to
		}
	}
	for i := range d.Calls {
		if d.Calls[i].CompanyID == from {
			d.Calls[i].CompanyID = to
		}
	}
}

func renameCampaign(d *Dataset, from, to string) {
	for i := range d.Campaigns {
		if d.Campaigns[i].ID == from {
			d.Campaigns[i].ID = to
		}
	}
	for i := range d.Calls {
		if d.Calls[i].CampaignID == from {
			d.Calls[i].CampaignID = to
		}
	}
}
