package phonewagon

import (
	"errors"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"switchboard/internal/domain"
)

// defaultPhoneRegion is the region assumed for a national number: the
// vendor's sample numbers are all North American.
const defaultPhoneRegion = "US"

// errStartOutOfRange reports a start_time that is not a representable date.
var errStartOutOfRange = errors.New("start_time out of range")

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

// isE164 reports whether s is already in E.164 form: '+', a non-zero digit,
// then 1 to 14 more digits.
func isE164(s string) bool {
	if len(s) < 3 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
