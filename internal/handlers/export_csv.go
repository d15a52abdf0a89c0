package handlers

import (
	"bufio"
	"encoding/csv"
	"strconv"
	"time"

	"switchboard/internal/domain"
)

// csvHeader names the CSV columns: the call record flattened, nested names
// joined with '_'.
var csvHeader = []string{
	"id", "source", "sid", "direction", "status", "from", "to", "started_at", "duration_seconds",
	"recording_url", "first_time_caller", "contact_name", "account_id", "company_id", "campaign_name",
	"user_source", "referrer", "landing_page", "keyword", "match_type", "network", "device", "ad_position",
	"gclid", "fbclid", "msclkid", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
	"unbounce_page_id", "unbounce_variant_id", "unbounce_visitor_id",
}

type csvEncoder struct {
	w   *csv.Writer
	row []string
}

func newCSVEncoder(w *bufio.Writer) *csvEncoder {
	return &csvEncoder{w: csv.NewWriter(w), row: make([]string, 0, len(csvHeader))}
}

// begin writes the header row: every CSV export starts with it, also one
// that no call matches (SPEC §3).
func (e *csvEncoder) begin() error {
	if err := e.w.Write(csvHeader); err != nil {
		return err
	}
	e.w.Flush()
	return e.w.Error()
}

func (e *csvEncoder) write(c *domain.Call) error {
	a := &c.Attribution
	var started, duration, first string
	if c.StartedAt != nil {
		started = c.StartedAt.UTC().Format(time.RFC3339Nano)
	}
	if c.DurationSeconds != nil {
		duration = strconv.FormatInt(*c.DurationSeconds, 10)
	}
	if c.FirstTimeCaller != nil {
		first = strconv.FormatBool(*c.FirstTimeCaller)
	}
	e.row = append(e.row[:0],
		c.ID, string(c.Source), str(c.SID), str(c.Direction), str(c.Status), str(c.From), str(c.To),
		started, duration, str(c.RecordingURL), first, str(c.ContactName), str(c.AccountID),
		str(c.CompanyID), str(c.Campaign.Name),
		str(a.UserSource), str(a.Referrer), str(a.LandingPage), str(a.Keyword), str(a.MatchType),
		str(a.Network), str(a.Device), str(a.AdPosition),
		str(a.ClickIDs.GCLID), str(a.ClickIDs.FBCLID), str(a.ClickIDs.MSCLKID),
		str(a.UTM.Source), str(a.UTM.Medium), str(a.UTM.Campaign), str(a.UTM.Term), str(a.UTM.Content),
		str(a.Unbounce.PageID), str(a.Unbounce.VariantID), str(a.Unbounce.VisitorID),
	)
	for i, v := range e.row {
		e.row[i] = defuseFormula(v)
	}
	return e.w.Write(e.row)
}

func (e *csvEncoder) flush() error {
	e.w.Flush()
	return e.w.Error()
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// defuseFormula keeps a spreadsheet from running a cell as a formula
// (CSV injection): a cell starting with = @ or a control character, or with
// + or - not followed by a digit, gets a leading apostrophe. Phone numbers
// like +18445551234 stay as they are.
func defuseFormula(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '@', '\t', '\r':
		return "'" + v
	case '+', '-':
		if len(v) == 1 || v[1] < '0' || v[1] > '9' {
			return "'" + v
		}
	}
	return v
}
