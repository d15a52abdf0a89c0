package domain

import "time"

// Source names the upstream a record came from.
type Source string

// The two upstreams.
const (
	SourceCallWidget Source = "callwidget"
	SourcePhonewagon Source = "phonewagon"
)

// Company is a Phonewagon company.
type Company struct {
	ID     string `json:"id" example:"1001"`
	Source Source `json:"source" example:"phonewagon"`
	Name   string `json:"name" example:"Phonewagon"`
}

// Campaign is a Phonewagon campaign of one company.
type Campaign struct {
	ID        string `json:"id" example:"s2212"`
	Source    Source `json:"source" example:"phonewagon"`
	Name      string `json:"name" example:"Facebook"`
	CompanyID string `json:"company_id" example:"1001"`
}

// Lookup is a CallWidget tag, department or automation.
type Lookup struct {
	ID     string  `json:"id" example:"1"`
	Source Source  `json:"source" example:"callwidget"`
	Name   *string `json:"name" example:"VIP"`
	Label  *string `json:"label" example:"VIP"`
}

// Install is a CallWidget install: a phone number the widget calls from.
type Install struct {
	ID     string  `json:"id" example:"1"`
	Source Source  `json:"source" example:"callwidget"`
	Phone  *string `json:"phone" example:"+17866275049"`
	Name   *string `json:"name" example:"+17866275049"`
	Label  *string `json:"label" example:"+17866275049"`
}

// Call is one record of the Phonewagon call history, normalized: an upstream
// empty string is nil, times are UTC, ids are strings.
type Call struct {
	ID              string          `json:"id" example:"6315"`
	Source          Source          `json:"source" example:"phonewagon"`
	SID             *string         `json:"sid" example:"CA9d0462dd32f10134829dde342c1ec85c"`
	Direction       *string         `json:"direction" example:"inbound"`
	Status          *string         `json:"status" example:"completed"`
	From            *string         `json:"from" example:"+19295559999"`
	To              *string         `json:"to" example:"+18445551234"`
	StartedAt       *time.Time      `json:"started_at" example:"2019-12-02T21:33:36Z"`
	DurationSeconds *int64          `json:"duration_seconds" example:"54"`
	RecordingURL    *string         `json:"recording_url"`
	FirstTimeCaller *bool           `json:"first_time_caller" example:"false"`
	ContactName     *string         `json:"contact_name" example:"Bronx Ny"`
	AccountID       *string         `json:"account_id" example:"696"`
	CompanyID       *string         `json:"company_id" example:"1386"`
	Campaign        CallCampaign    `json:"campaign"`
	Attribution     CallAttribution `json:"attribution"`
}

// CallCampaign is the campaign a call came through, as the call record names it.
type CallCampaign struct {
	Name *string `json:"name" example:"Dummy name"`
}

// CallAttribution is where a caller came from.
type CallAttribution struct {
	UserSource  *string  `json:"user_source" example:"Yahoo organic"`
	Referrer    *string  `json:"referrer" example:"http://yahoo.com/yahoo.html"`
	LandingPage *string  `json:"landing_page" example:"http://tommy123.com/staging.html"`
	Keyword     *string  `json:"keyword"`
	MatchType   *string  `json:"match_type"`
	Network     *string  `json:"network"`
	Device      *string  `json:"device"`
	AdPosition  *string  `json:"ad_position"`
	ClickIDs    ClickIDs `json:"click_ids"`
	UTM         UTM      `json:"utm"`
	Unbounce    Unbounce `json:"unbounce"`
}

// ClickIDs are the ad networks' click identifiers.
type ClickIDs struct {
	GCLID   *string `json:"gclid"`
	FBCLID  *string `json:"fbclid"`
	MSCLKID *string `json:"msclkid"`
}

// UTM holds the utm_* parameters of the landing page.
type UTM struct {
	Source   *string `json:"source"`
	Medium   *string `json:"medium"`
	Campaign *string `json:"campaign"`
	Term     *string `json:"term"`
	Content  *string `json:"content"`
}

// Unbounce holds the Unbounce landing-page identifiers.
type Unbounce struct {
	PageID    *string `json:"page_id"`
	VariantID *string `json:"variant_id"`
	VisitorID *string `json:"visitor_id"`
}
