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
	Name   *string `json:"name" example:"VIP" extensions:"x-nullable"`
	Label  *string `json:"label" example:"VIP" extensions:"x-nullable"`
}

// Install is a CallWidget install: a phone number the widget calls from.
type Install struct {
	ID     string  `json:"id" example:"1"`
	Source Source  `json:"source" example:"callwidget"`
	Phone  *string `json:"phone" example:"+17866275049" extensions:"x-nullable"`
	Name   *string `json:"name" example:"+17866275049" extensions:"x-nullable"`
	Label  *string `json:"label" example:"+17866275049" extensions:"x-nullable"`
}

// Call is one record of the Phonewagon call history, normalized: an upstream
// empty string is nil, times are UTC, ids are strings.
type Call struct {
	ID              string          `json:"id" example:"6315"`
	Source          Source          `json:"source" example:"phonewagon"`
	SID             *string         `json:"sid" example:"CA9d0462dd32f10134829dde342c1ec85c" extensions:"x-nullable"`
	Direction       *string         `json:"direction" example:"inbound" extensions:"x-nullable"`
	Status          *string         `json:"status" example:"completed" extensions:"x-nullable"`
	From            *string         `json:"from" example:"+19295559999" extensions:"x-nullable"`
	To              *string         `json:"to" example:"+18445551234" extensions:"x-nullable"`
	StartedAt       *time.Time      `json:"started_at" example:"2019-12-02T21:33:36Z" extensions:"x-nullable"`
	DurationSeconds *int64          `json:"duration_seconds" example:"54" extensions:"x-nullable"`
	RecordingURL    *string         `json:"recording_url" extensions:"x-nullable"`
	FirstTimeCaller *bool           `json:"first_time_caller" example:"false" extensions:"x-nullable"`
	ContactName     *string         `json:"contact_name" example:"Bronx Ny" extensions:"x-nullable"`
	AccountID       *string         `json:"account_id" example:"696" extensions:"x-nullable"`
	CompanyID       *string         `json:"company_id" example:"1386" extensions:"x-nullable"`
	Campaign        CallCampaign    `json:"campaign"`
	Attribution     CallAttribution `json:"attribution"`
}

// CallCampaign is the campaign a call came through, as the call record names it.
type CallCampaign struct {
	Name *string `json:"name" example:"Dummy name" extensions:"x-nullable"`
}

// CallAttribution is where a caller came from.
type CallAttribution struct {
	UserSource  *string  `json:"user_source" example:"Yahoo organic" extensions:"x-nullable"`
	Referrer    *string  `json:"referrer" example:"http://yahoo.com/yahoo.html" extensions:"x-nullable"`
	LandingPage *string  `json:"landing_page" example:"http://tommy123.com/staging.html" extensions:"x-nullable"`
	Keyword     *string  `json:"keyword" extensions:"x-nullable"`
	MatchType   *string  `json:"match_type" extensions:"x-nullable"`
	Network     *string  `json:"network" extensions:"x-nullable"`
	Device      *string  `json:"device" extensions:"x-nullable"`
	AdPosition  *string  `json:"ad_position" extensions:"x-nullable"`
	ClickIDs    ClickIDs `json:"click_ids"`
	UTM         UTM      `json:"utm"`
	Unbounce    Unbounce `json:"unbounce"`
}

// ClickIDs are the ad networks' click identifiers.
type ClickIDs struct {
	GCLID   *string `json:"gclid" extensions:"x-nullable"`
	FBCLID  *string `json:"fbclid" extensions:"x-nullable"`
	MSCLKID *string `json:"msclkid" extensions:"x-nullable"`
}

// UTM holds the utm_* parameters of the landing page.
type UTM struct {
	Source   *string `json:"source" extensions:"x-nullable"`
	Medium   *string `json:"medium" extensions:"x-nullable"`
	Campaign *string `json:"campaign" extensions:"x-nullable"`
	Term     *string `json:"term" extensions:"x-nullable"`
	Content  *string `json:"content" extensions:"x-nullable"`
}

// Unbounce holds the Unbounce landing-page identifiers.
type Unbounce struct {
	PageID    *string `json:"page_id" extensions:"x-nullable"`
	VariantID *string `json:"variant_id" extensions:"x-nullable"`
	VisitorID *string `json:"visitor_id" extensions:"x-nullable"`
}
