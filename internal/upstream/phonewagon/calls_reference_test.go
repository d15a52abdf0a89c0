package phonewagon

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"switchboard/internal/domain"
)

// The reference decoder: how a /calls body was read before the single-pass
// decoder of calls_decode.go, through encoding/json and the tolerant types of
// flex.go, one UnmarshalJSON per field. It is kept only as the oracle that
// the differential tests (calls_decode_test.go) hold the decoder to.

// call is, to the reference decoder, one element of the vendor's "calls" list.
type call struct {
	AccountID         flexString `json:"account_id"`
	AdPosition        flexString `json:"ad_position"`
	CampaignName      flexString `json:"campaign_name"`
	CompanyID         flexString `json:"company_id"`
	ContactName       flexString `json:"contact_name"`
	Device            flexString `json:"device"`
	Direction         flexString `json:"direction"`
	Duration          flexInt    `json:"duration"`
	FBCLID            flexString `json:"fbclid"`
	FromNumber        flexString `json:"from_number"`
	GCLID             flexString `json:"gclid"`
	ID                flexString `json:"id"`
	IsFirstTimeCaller flexBool   `json:"is_first_time_caller"`
	Keyword           flexString `json:"keyword"`
	LandingPage       flexString `json:"landing_page"`
	MatchType         flexString `json:"match_type"`
	MSCLKID           flexString `json:"msclkid"`
	Network           flexString `json:"network"`
	RecordingURL      flexString `json:"recording_url"`
	ReferralValue     flexString `json:"referral_value"`
	SID               flexString `json:"sid"`
	StartTime         flexInt    `json:"start_time"`
	Status            flexString `json:"status"`
	ToNumber          flexString `json:"to_number"`
	UnbouncePageID    flexString `json:"unbounce_page_id"`
	UnbounceVariantID flexString `json:"unbounce_variant_id"`
	UnbounceVisitorID flexString `json:"unbounce_visitor_id"`
	UserSource        flexString `json:"user_source"`
	UTMCampaign       flexString `json:"utm_campaign"`
	UTMContent        flexString `json:"utm_content"`
	UTMMedium         flexString `json:"utm_medium"`
	UTMSource         flexString `json:"utm_source"`
	UTMTerm           flexString `json:"utm_term"`
}

// referenceCalls decodes and normalizes a /calls body as the reference
// decoder did, returning the next link unchecked ("" when absent or null).
func referenceCalls(body []byte) ([]listedCall, string, error) {
	raw, top, err := decodeEnvelope(body, "calls")
	if err != nil {
		return nil, "", err
	}
	list, err := decodeList[call](raw, "calls")
	if err != nil {
		return nil, "", err
	}
	listed := make([]listedCall, 0, len(list))
	for i, v := range list {
		if v.ID == "" {
			return nil, "", missingID("calls", i)
		}
		rec, err := normalizeCall(v)
		if err != nil {
			return nil, "", badAnswer(fmt.Errorf("decode calls[%d]: %w", i, err))
		}
		l := listedCall{call: rec, startMillis: -1}
		if v.StartTime.set {
			l.startMillis = v.StartTime.value
		}
		listed = append(listed, l)
	}
	var link *string
	if rawNext, ok := top["next"]; ok {
		if err := json.Unmarshal(rawNext, &link); err != nil {
			return nil, "", badAnswer(fmt.Errorf("decode next: %w", err))
		}
	}
	if link == nil {
		return listed, "", nil
	}
	return listed, *link, nil
}

// normalizeCall maps one vendor call record to domain.Call: ids as strings,
// "" as nil, start_time (epoch ms) as UTC time, phone numbers as E.164.
func normalizeCall(v call) (domain.Call, error) {
	startedAt, err := millisToTime(v.StartTime)
	if err != nil {
		return domain.Call{}, err
	}
	rec := domain.Call{
		ID:           string(v.ID),
		Source:       domain.SourcePhonewagon,
		SID:          optional(v.SID),
		Direction:    optional(v.Direction),
		Status:       optional(v.Status),
		From:         phoneNumber(v.FromNumber),
		To:           phoneNumber(v.ToNumber),
		StartedAt:    startedAt,
		RecordingURL: optional(v.RecordingURL),
		ContactName:  contactName(v.ContactName),
		AccountID:    optional(v.AccountID),
		CompanyID:    optional(v.CompanyID),
		Campaign:     domain.CallCampaign{Name: optional(v.CampaignName)},
		Attribution: domain.CallAttribution{
			UserSource:  optional(v.UserSource),
			Referrer:    optional(v.ReferralValue),
			LandingPage: optional(v.LandingPage),
			Keyword:     optional(v.Keyword),
			MatchType:   optional(v.MatchType),
			Network:     optional(v.Network),
			Device:      optional(v.Device),
			AdPosition:  optional(v.AdPosition),
			ClickIDs: domain.ClickIDs{
				GCLID:   optional(v.GCLID),
				FBCLID:  optional(v.FBCLID),
				MSCLKID: optional(v.MSCLKID),
			},
			UTM: domain.UTM{
				Source:   optional(v.UTMSource),
				Medium:   optional(v.UTMMedium),
				Campaign: optional(v.UTMCampaign),
				Term:     optional(v.UTMTerm),
				Content:  optional(v.UTMContent),
			},
			Unbounce: domain.Unbounce{
				PageID:    optional(v.UnbouncePageID),
				VariantID: optional(v.UnbounceVariantID),
				VisitorID: optional(v.UnbounceVisitorID),
			},
		},
	}
	if v.Duration.set {
		d := v.Duration.value
		rec.DurationSeconds = &d
	}
	if v.IsFirstTimeCaller.set {
		b := v.IsFirstTimeCaller.value
		rec.FirstTimeCaller = &b
	}
	return rec, nil
}

// optional returns nil for the upstream's empty string, else a pointer to s.
func optional(s flexString) *string {
	if s == "" {
		return nil
	}
	v := string(s)
	return &v
}

// contactName trims the name and collapses every run of whitespace to one
// space ("Bronx        Ny" → "Bronx Ny"); blank becomes nil.
func contactName(s flexString) *string {
	return optional(flexString(strings.Join(strings.Fields(string(s)), " ")))
}

// phoneNumber returns s in E.164. A number already in E.164 is kept as is;
// a national one is parsed for defaultPhoneRegion. What cannot be parsed
// into a valid number is kept verbatim rather than lost: a caller can still
// read it, and a wrong "fix" would be worse.
func phoneNumber(s flexString) *string {
	raw := string(s)
	if strings.TrimSpace(raw) == "" {
		return nil
	}
	if isE164(raw) {
		return &raw
	}
	num, err := phonenumbers.Parse(raw, defaultPhoneRegion)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return &raw
	}
	formatted := phonenumbers.Format(num, phonenumbers.E164)
	return &formatted
}

// millisToTime converts epoch milliseconds to UTC, truncated to the second:
// the contract renders times as 2019-12-02T21:33:36Z (SPEC §3), one fixed
// shape callers can parse and compare as strings. Unset stays nil; a value
// outside years 1..9999 cannot be rendered in RFC 3339 and is an error.
func millisToTime(n flexInt) (*time.Time, error) {
	if !n.set {
		return nil, nil
	}
	t := time.UnixMilli(n.value).UTC().Truncate(time.Second)
	if y := t.Year(); y < 1 || y > 9999 {
		return nil, errStartOutOfRange
	}
	return &t, nil
}
