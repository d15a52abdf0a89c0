package mirror

import (
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"switchboard/internal/domain"
)

// The test history: as hostile as the upstream's. Start times are whole
// seconds; bursts of 10+ calls share one second; ids cross a digit-count
// boundary inside a burst (999 → 1000) so that a byte-wise id order would
// be caught; a few ids are not numeric, one call has no start time and one
// no company.

// histNow is the newest second of the test history.
var histNow = time.Date(2026, time.November, 1, 12, 0, 0, 0, time.UTC)

func suitePtr[T any](v T) *T { return &v }

// suiteCall returns a call with realistic fields. company "" leaves it
// without a company; campaign "" without a campaign name; at zero without
// a start time.
func suiteCall(id string, at time.Time, company, campaign string) domain.Call {
	c := domain.Call{
		ID:          id,
		Source:      domain.SourcePhonewagon,
		SID:         suitePtr("CA" + strings.Repeat("0", 30) + id[:min(2, len(id))]),
		Direction:   suitePtr("inbound"),
		Status:      suitePtr("completed"),
		From:        suitePtr("+13055550100"),
		To:          suitePtr("+18445551234"),
		AccountID:   suitePtr("696"),
		ContactName: suitePtr("Bronx Ny"),
		Attribution: domain.CallAttribution{UserSource: suitePtr("Google organic"), LandingPage: suitePtr("https://www.example.com/")},
	}
	if !at.IsZero() {
		c.StartedAt = suitePtr(at)
	}
	if company != "" {
		c.CompanyID = suitePtr(company)
	}
	if campaign != "" {
		c.Campaign.Name = suitePtr(campaign)
	}
	return c
}

// suiteCompanies and suiteCampaigns are the companies and campaigns the test history spreads its calls over.
var (
	suiteCompanies = []string{"1001", "1002"}
	suiteCampaigns = []string{"Facebook", "Google Ads", "Spring sale: 50% off {now}"}
)

// suiteHistory returns about 50 calls, in no particular order.
func suiteHistory() []domain.Call {
	var out []domain.Call
	n := 0
	add := func(id string, at time.Time) {
		out = append(out, suiteCall(id, at, suiteCompanies[n%2], suiteCampaigns[(n/2)%3]))
		n++
	}
	for id := 995; id <= 1006; id++ { // 12 calls in the newest second
		add(suiteItoa(id), histNow)
	}
	add("42", histNow.Add(-time.Second))
	for _, id := range []string{"7", "8", "9", "10", "11", "12", "100", "101", "1000000", "3", "x-1"} {
		add(id, histNow.Add(-2*time.Second))
	}
	for id := 2000; id < 2011; id++ { // 11 calls three seconds earlier
		add(suiteItoa(id), histNow.Add(-5*time.Second))
	}
	add("abc", histNow.Add(-5*time.Second))
	for i := range 10 { // a quiet stretch: one call a minute
		add(suiteItoa(3000+i), histNow.Add(-time.Duration(10+i)*time.Minute))
	}
	out = append(out, suiteCall("500", histNow.Add(-time.Hour), "", ""))
	out = append(out, suiteCall("501", histNow.Add(-time.Hour), "1001", ""))
	out = append(out, suiteCall("77", time.Time{}, "1002", "Facebook"))
	return out
}

func suiteItoa(n int) string { return big.NewInt(int64(n)).String() }

// compareIDsForTest orders ids as the serving order does, written apart
// from the store's encoding: digit ids numerically and before the others,
// the others byte-wise.
func compareIDsForTest(a, b string) int {
	da, db := digitsOnly(a) && a != "", digitsOnly(b) && b != ""
	switch {
	case da && db:
		x, _ := new(big.Int).SetString(a, 10)
		y, _ := new(big.Int).SetString(b, 10)
		return x.Cmp(y)
	case da:
		return -1
	case db:
		return 1
	}
	return strings.Compare(a, b)
}

// suiteMillis is the start time c sorts by: a call without one, or one
// before 1970, as 0.
func suiteMillis(c domain.Call) int64 {
	if c.StartedAt == nil {
		return 0
	}
	return max(c.StartedAt.UnixMilli(), 0)
}

// expectedOrder returns the ids of the calls of history q selects, in
// serving order, computed without the store.
func expectedOrder(history []domain.Call, q Query) []string {
	calls := slices.Clone(history)
	slices.SortFunc(calls, func(a, b domain.Call) int {
		if d := suiteMillis(b) - suiteMillis(a); d != 0 {
			if d > 0 {
				return 1
			}
			return -1
		}
		return compareIDsForTest(b.ID, a.ID)
	})
	var ids []string
	for _, c := range calls {
		ms := suiteMillis(c)
		switch {
		case q.CompanyID != "" && orEmpty(c.CompanyID) != q.CompanyID,
			q.CampaignName != "" && orEmpty(c.Campaign.Name) != q.CampaignName,
			!q.Since.IsZero() && time.UnixMilli(ms).Before(q.Since),
			!q.Until.IsZero() && !time.UnixMilli(ms).Before(q.Until):
			continue
		}
		ids = append(ids, c.ID)
	}
	return ids
}

func callIDs(calls []domain.Call) []string {
	ids := make([]string, len(calls))
	for i, c := range calls {
		ids[i] = c.ID
	}
	return ids
}

// leaseClock is a clock that moves only when told to.
type leaseClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *leaseClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *leaseClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// hostileCalls returns calls whose JSON is as awkward as the upstream's
// records get once normalized: a dozen calls in one second (ids crossing a
// digit count), every optional member null, empty strings, text that
// encoding/json escapes (quotes, backslashes, HTML, control characters,
// U+2028) or that is not UTF-8 at all, non-ASCII names, a literal "\ufffd",
// start times with nanoseconds in another zone, none, and before 1970.
func hostileCalls() []domain.Call {
	texts := []string{
		`O"Brien \ "sale":null,"x":1 {}`,
		"<script>alert('&')</script>",
		"Zoë Ñandú 名前 👋",
		"line\u2028sep\u2029para\ttab\x00nul\x1fus",
		"not utf-8: \xff\xfe\xc3",
		`a literal \ufffd and \\`,
		"",
	}
	var out []domain.Call
	for i := range 12 {
		c := suiteCall(suiteItoa(9995+i), histNow, suiteCompanies[i%2], texts[i%len(texts)])
		c.ContactName = suitePtr(texts[(i+1)%len(texts)])
		c.Attribution.Keyword = suitePtr(texts[(i+2)%len(texts)])
		c.Attribution.UTM.Campaign = suitePtr(texts[(i+3)%len(texts)])
		if i%3 == 0 {
			c.DurationSeconds = suitePtr(int64(i * 1_000_000_007))
			c.FirstTimeCaller = suitePtr(i%2 == 0)
		}
		out = append(out, c)
	}
	bare := domain.Call{ID: "bare", Source: domain.SourcePhonewagon} // every optional member null
	out = append(out, bare)
	nanos := suiteCall("9001", histNow.Add(-1500*time.Millisecond+123456789).In(time.FixedZone("", 5*3600+1800)), "1001", texts[4])
	nanos.SID, nanos.Status = suitePtr(""), nil
	out = append(out, nanos)
	out = append(out, suiteCall("9002", time.Time{}, "1002", texts[2]))
	out = append(out, suiteCall("9003", time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC), "1002", texts[0]))
	return out
}
