package phonewagon

import (
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"switchboard/internal/domain"
)

// defaultPhoneRegion is the region assumed for a national number: the
// vendor's sample numbers are all North American.
const defaultPhoneRegion = "US"

// errStartOutOfRange reports a start_time that is not a representable date.
var errStartOutOfRange = errors.New("start_time out of range")

// callValues holds what one normalized call points at: its optional strings
// (indexed by callField), start time, duration and first-time flag. A record
// allocates one, instead of one small value per field; they live and die
// together anyway.
type callValues struct {
	strs      [numCallFields]string
	startedAt time.Time
	duration  int64
	firstTime bool
}

// normalize maps the scanned record to domain.Call: ids as strings, "" as
// nil, start_time (epoch ms) as UTC time, phone numbers as E.164, the
// contact name with its whitespace collapsed (done while scanning, see
// appendCollapsed). text is the record's buffer as one string, the backing
// of every string of the result.
func (s *callScan) normalize(text string) (listedCall, error) {
	startedAt, hasStart, err := startTime(s.startTime)
	if err != nil {
		return listedCall{}, err
	}
	v := new(callValues)
	for f := range numCallFields {
		v.strs[f] = text[s.spans[f].start:s.spans[f].end]
	}
	opt := func(f callField) *string {
		if v.strs[f] == "" {
			return nil
		}
		return &v.strs[f]
	}
	phone := func(f callField) *string {
		if strings.TrimSpace(v.strs[f]) == "" {
			return nil
		}
		v.strs[f] = e164(v.strs[f])
		return &v.strs[f]
	}
	rec := domain.Call{
		ID:           v.strs[fID],
		Source:       domain.SourcePhonewagon,
		SID:          opt(fSID),
		Direction:    opt(fDirection),
		Status:       opt(fStatus),
		From:         phone(fFromNumber),
		To:           phone(fToNumber),
		RecordingURL: opt(fRecordingURL),
		ContactName:  opt(fContactName),
		AccountID:    opt(fAccountID),
		CompanyID:    opt(fCompanyID),
		Campaign:     domain.CallCampaign{Name: opt(fCampaignName)},
		Attribution: domain.CallAttribution{
			UserSource:  opt(fUserSource),
			Referrer:    opt(fReferralValue),
			LandingPage: opt(fLandingPage),
			Keyword:     opt(fKeyword),
			MatchType:   opt(fMatchType),
			Network:     opt(fNetwork),
			Device:      opt(fDevice),
			AdPosition:  opt(fAdPosition),
			ClickIDs: domain.ClickIDs{
				GCLID:   opt(fGCLID),
				FBCLID:  opt(fFBCLID),
				MSCLKID: opt(fMSCLKID),
			},
			UTM: domain.UTM{
				Source:   opt(fUTMSource),
				Medium:   opt(fUTMMedium),
				Campaign: opt(fUTMCampaign),
				Term:     opt(fUTMTerm),
				Content:  opt(fUTMContent),
			},
			Unbounce: domain.Unbounce{
				PageID:    opt(fUnbouncePageID),
				VariantID: opt(fUnbounceVariantID),
				VisitorID: opt(fUnbounceVisitorID),
			},
		},
	}
	if hasStart {
		v.startedAt = startedAt
		rec.StartedAt = &v.startedAt
	}
	if s.duration.set {
		v.duration = s.duration.value
		rec.DurationSeconds = &v.duration
	}
	if s.firstTime.set {
		v.firstTime = s.firstTime.value
		rec.FirstTimeCaller = &v.firstTime
	}
	l := listedCall{call: rec, startMillis: -1}
	if s.startTime.set {
		l.startMillis = s.startTime.value
	}
	return l, nil
}

// appendCollapsed appends s to dst with every run of whitespace collapsed
// to one space and none at either end ("Bronx        Ny" → "Bronx Ny"): the
// same as strings.Join(strings.Fields(s), " "), without the slice.
func appendCollapsed(dst, s []byte) []byte {
	start, space := len(dst), false
	for i := 0; i < len(s); {
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(s[i:])
		}
		if unicode.IsSpace(r) {
			space = true
		} else {
			if space && len(dst) > start {
				dst = append(dst, ' ')
			}
			space = false
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return dst
}

// e164 returns raw in E.164. A number already in E.164 is kept as is; a
// national one is parsed for defaultPhoneRegion. What cannot be parsed into
// a valid number is kept verbatim rather than lost: a caller can still read
// it, and a wrong "fix" would be worse.
func e164(raw string) string {
	if isE164(raw) {
		return raw
	}
	num, err := phonenumbers.Parse(raw, defaultPhoneRegion)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return raw
	}
	return phonenumbers.Format(num, phonenumbers.E164)
}

// startTime converts epoch milliseconds to UTC, truncated to the second:
// the contract renders times as 2019-12-02T21:33:36Z (SPEC §3), one fixed
// shape callers can parse and compare as strings. ok is false when n is
// unset; a value outside years 1..9999 cannot be rendered in RFC 3339 and is
// an error.
func startTime(n flexInt) (t time.Time, ok bool, err error) {
	if !n.set {
		return time.Time{}, false, nil
	}
	t = time.UnixMilli(n.value).UTC().Truncate(time.Second)
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, false, errStartOutOfRange
	}
	return t, true, nil
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
