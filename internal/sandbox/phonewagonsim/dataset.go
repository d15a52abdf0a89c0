package phonewagonsim

import "slices"

// Company is a Phonewagon company as GET /companies returns it: the docs give
// integer ids.
type Company struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Campaign is a Phonewagon campaign. GET /campaigns returns id and name only;
// CompanyID is the simulator's link to its company. The docs give string ids
// ("s2212"), unlike company ids.
type Campaign struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	CompanyID int64  `json:"-"`
}

// Call is one call record with exactly the fields and JSON types of the
// docs' sample, in its order. The sample's missing comma after "gclid" and
// trailing comma after "utm_term" are typos: the simulator emits valid JSON.
// The records carry no campaign id, only its name; CampaignID is the
// simulator's link used by the campaign_id filter.
type Call struct {
	AccountID         int64  `json:"account_id"`
	AdPosition        string `json:"ad_position"`
	CampaignName      string `json:"campaign_name"`
	CompanyID         int64  `json:"company_id"`
	ContactName       string `json:"contact_name"`
	Device            string `json:"device"`
	Direction         string `json:"direction"`
	Duration          int64  `json:"duration"`
	FBCLID            string `json:"fbclid"`
	FromNumber        string `json:"from_number"`
	GCLID             string `json:"gclid"`
	ID                int64  `json:"id"`
	IsFirstTimeCaller bool   `json:"is_first_time_caller"`
	Keyword           string `json:"keyword"`
	LandingPage       string `json:"landing_page"`
	MatchType         string `json:"match_type"`
	MSCLKID           string `json:"msclkid"`
	Network           string `json:"network"`
	RecordingURL      string `json:"recording_url"`
	ReferralValue     string `json:"referral_value"`
	SID               string `json:"sid"`
	StartTime         int64  `json:"start_time"` // epoch milliseconds
	Status            string `json:"status"`
	ToNumber          string `json:"to_number"`
	UnbouncePageID    string `json:"unbounce_page_id"`
	UnbounceVariantID string `json:"unbounce_variant_id"`
	UnbounceVisitorID string `json:"unbounce_visitor_id"`
	UserSource        string `json:"user_source"`
	UTMCampaign       string `json:"utm_campaign"`
	UTMContent        string `json:"utm_content"`
	UTMMedium         string `json:"utm_medium"`
	UTMSource         string `json:"utm_source"`
	UTMTerm           string `json:"utm_term"`

	CampaignID string `json:"-"`
}

// Dataset is everything one account serves.
type Dataset struct {
	// AccountID is the account_id of every call record.
	AccountID int64
	// Companies in the order GET /companies returns them.
	Companies []Company
	// Campaigns of every company, grouped by company in company order.
	Campaigns []Campaign
	// Calls in the order GET /calls returns them: newest first, and within
	// one start_time by descending id. Start times are whole seconds and
	// often shared by a burst of calls, as on the real upstream, so paging
	// by the next link (end_time = last start_time - 1) skips the rest of a
	// burst that a page boundary cuts.
	Calls []Call
}

// Dataset returns a copy of the data served to clientID at the clock's
// current time (a live account's arrivals and completions included), or
// false for an unknown client id.
func (s *Server) Dataset(clientID string) (Dataset, bool) {
	acct, ok := s.accounts[clientID]
	if !ok {
		return Dataset{}, false
	}
	acct.mu.Lock()
	defer acct.mu.Unlock()
	d := acct.data
	d.Companies = append([]Company(nil), d.Companies...)
	d.Campaigns = append([]Campaign(nil), d.Campaigns...)
	d.Calls = append([]Call(nil), acct.callsAt(s.now())...)
	return d, true
}

// The companies and campaign the vendor docs' examples name: GET /companies
// answers 1001 "Phonewagon" and 9812 "Jake's rake company", GET /campaigns
// answers s2212 "Facebook" (for the first company, say the examples of the
// gateway's API).
var (
	docsCompanies = []Company{{ID: 1001, Name: "Phonewagon"}, {ID: 9812, Name: "Jake's rake company"}}
	docsCampaign  = Campaign{ID: "s2212", Name: "Facebook", CompanyID: 1001}
)

// withExamples returns d with its first two companies renamed to
// docsCompanies and the first campaign of the first company to
// docsCampaign, their calls following. A generated company or campaign
// that already had an example's id takes the renamed one's old id, so ids
// stay unique. d needs two companies and a campaign for the first; with
// fewer it is returned as is.
func withExamples(d Dataset) Dataset {
	if len(d.Companies) < len(docsCompanies) {
		return d
	}
	first := slices.IndexFunc(d.Campaigns, func(c Campaign) bool { return c.CompanyID == d.Companies[0].ID })
	if first < 0 {
		return d
	}
	out := Dataset{AccountID: d.AccountID, Companies: slices.Clone(d.Companies),
		Campaigns: slices.Clone(d.Campaigns), Calls: slices.Clone(d.Calls)}

	companyIDs := exampleCompanyIDs(out.Companies)
	for i := range out.Companies {
		if i < len(docsCompanies) {
			out.Companies[i].Name = docsCompanies[i].Name
		}
		if id, ok := companyIDs[out.Companies[i].ID]; ok {
			out.Companies[i].ID = id
		}
	}
	for i := range out.Campaigns {
		if id, ok := companyIDs[out.Campaigns[i].CompanyID]; ok {
			out.Campaigns[i].CompanyID = id
		}
	}

	campaignIDs := map[string]string{}
	oldCampaign := out.Campaigns[first].ID
	campaignIDs[oldCampaign] = docsCampaign.ID
	if clash := slices.IndexFunc(out.Campaigns, func(c Campaign) bool { return c.ID == docsCampaign.ID }); clash >= 0 && clash != first {
		campaignIDs[docsCampaign.ID] = oldCampaign
	}
	for i := range out.Campaigns {
		if id, ok := campaignIDs[out.Campaigns[i].ID]; ok {
			out.Campaigns[i].ID = id
		}
	}
	out.Campaigns[first].Name = docsCampaign.Name

	for i := range out.Calls {
		c := &out.Calls[i]
		if id, ok := companyIDs[c.CompanyID]; ok {
			c.CompanyID = id
		}
		if id, ok := campaignIDs[c.CampaignID]; ok {
			c.CampaignID = id
		}
		if c.CampaignID == docsCampaign.ID {
			c.CampaignName = docsCampaign.Name
		}
	}
	return out
}

// exampleCompanyIDs maps old company ids to new ones: the first companies
// take docsCompanies' ids, and a later company that already had one of
// those takes an id the first ones gave up.
func exampleCompanyIDs(cs []Company) map[int64]int64 {
	taken := map[int64]bool{}
	for _, ex := range docsCompanies {
		taken[ex.ID] = true
	}
	moves := map[int64]int64{}
	var freed []int64
	for i, ex := range docsCompanies {
		if old := cs[i].ID; old != ex.ID {
			moves[old] = ex.ID
			if !taken[old] {
				freed = append(freed, old)
			}
		}
	}
	for _, c := range cs[len(docsCompanies):] {
		if taken[c.ID] {
			moves[c.ID], freed = freed[0], freed[1:]
		}
	}
	return moves
}
