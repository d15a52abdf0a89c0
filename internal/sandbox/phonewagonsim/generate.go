package phonewagonsim

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"
)

// maxCalls bounds Account.Calls so a typo cannot exhaust memory.
const maxCalls = 1_000_000

// spread is how far back from the anchor an account's calls reach (about;
// the gaps are random).
const spread = 90 * 24 * time.Hour

// generator draws one account's data from a deterministic source.
type generator struct {
	r *rand.Rand
	v vocab
}

// line is a campaign with what its calls need: the company's web domain and
// the tracking number callers dial.
type line struct {
	campaign Campaign
	domain   string
	tracking string
}

// caller is someone who calls (or is called) more than once.
type caller struct {
	number, name string
}

// generate builds the dataset of a; the same Account and anchor always give
// the same data. ClientID is mixed into the seed so that two accounts never
// share records even with equal seeds.
func generate(a Account, anchor time.Time) (Dataset, []line) {
	h := fnv.New64a()
	_, _ = h.Write([]byte(a.ClientID))
	g := &generator{r: rand.New(rand.NewPCG(uint64(a.Seed), h.Sum64())), v: newVocab()}

	d := Dataset{AccountID: 100 + g.r.Int64N(900)}
	d.Companies = g.companies()
	var lines []line
	usedIDs := make(map[int]bool)
	for _, c := range d.Companies {
		domain := "www." + slug(c.Name) + ".com"
		for _, name := range g.pick(g.v.campaigns, 2+g.r.IntN(3)) {
			camp := Campaign{ID: fmt.Sprintf("s%d", g.uniqueInt(usedIDs, 1000, 9999)), Name: name, CompanyID: c.ID}
			d.Campaigns = append(d.Campaigns, camp)
			lines = append(lines, line{campaign: camp, domain: domain, tracking: g.number(g.v.tollFree)})
		}
	}
	d.Calls = g.calls(d.AccountID, a.Calls, anchor, lines)
	return d, lines
}

// companies returns 3–5 companies with distinct names and integer ids.
func (g *generator) companies() []Company {
	used := make(map[int]bool)
	names := g.pick(g.v.companies, 3+g.r.IntN(3))
	out := make([]Company, len(names))
	for i, name := range names {
		out[i] = Company{ID: int64(g.uniqueInt(used, 1000, 9999)), Name: name}
	}
	return out
}

// calls returns n calls, newest first, the newest starting at anchor's
// second. Start times are whole seconds, as the real upstream's are, and
// about one in four is a burst of 2–8 calls in the same second (a campaign
// launch, a busy line): the upstream's own next link, which asks for
// end_time = last start_time - 1, skips the rest of a burst that a page
// boundary cuts, and a walk over this data shows it.
func (g *generator) calls(accountID int64, n int, anchor time.Time, lines []line) []Call {
	out := make([]Call, n)
	if n == 0 {
		return out
	}
	avgGap := int64(spread/time.Second) / int64(n) // seconds between bursts, on average
	start := anchor.Truncate(time.Second).UnixMilli()
	for i := 0; i < n; {
		burst := 1
		if g.r.IntN(4) == 0 {
			burst = 2 + g.r.IntN(7)
		}
		for ; burst > 0 && i < n; burst-- {
			out[i].StartTime = start
			i++
		}
		start -= 1000 * (1 + g.r.Int64N(2*avgGap+1))
	}
	callers := make([]caller, max(10, n/3))
	for i := range callers {
		callers[i] = caller{number: g.number(g.v.areaCodes), name: g.contactName()}
	}
	seen := make(map[string]bool, len(callers))
	id := 5000 + g.r.Int64N(5000)
	// Oldest first, so ids rise with time and is_first_time_caller holds.
	for i := n - 1; i >= 0; i-- {
		c := callers[g.r.IntN(len(callers))]
		if g.r.IntN(3) == 0 { // a few regulars call often
			c = callers[g.r.IntN(min(len(callers), 8))]
		}
		out[i] = g.call(accountID, id, out[i].StartTime, lines[g.r.IntN(len(lines))], c, seen)
		id += 1 + g.r.Int64N(3)
	}
	return out
}

// call builds one record. seen holds the numbers that called before.
func (g *generator) call(accountID, id, start int64, ln line, c caller, seen map[string]bool) Call {
	status := g.one(g.v.statuses)
	var duration int64
	if status == "completed" {
		duration = 5 + g.r.Int64N(90)
		if g.r.IntN(4) == 0 {
			duration += g.r.Int64N(1500)
		}
	}
	call := Call{
		AccountID:    accountID,
		CampaignName: ln.campaign.Name,
		CompanyID:    ln.campaign.CompanyID,
		CampaignID:   ln.campaign.ID,
		ContactName:  c.name,
		Direction:    "inbound",
		Duration:     duration,
		FromNumber:   c.number,
		ID:           id,
		SID:          "CA" + g.text(hexDigits, 32),
		StartTime:    start,
		Status:       status,
		ToNumber:     ln.tracking,
	}
	if duration > 0 && g.r.IntN(10) < 8 { // some completed calls were not recorded
		call.RecordingURL = fmt.Sprintf("https://core-api.phonewagon.com/call-recordings/%s/file?cb=%d",
			call.SID, start+duration*1000+g.r.Int64N(60_000))
	}
	if g.r.IntN(100) < 15 { // outbound: the business calls back, no attribution
		call.Direction = "outbound"
		call.FromNumber, call.ToNumber = ln.tracking, c.number
		return call
	}
	call.IsFirstTimeCaller = !seen[c.number]
	seen[c.number] = true
	g.attribute(&call, ln.domain)
	return call
}

// contactName returns a caller-id name as carriers send it: often a city
// and state padded into a fixed-width field ("Bronx        Ny"), sometimes
// with stray leading or trailing spaces, sometimes a person, sometimes empty.
func (g *generator) contactName() string {
	switch n := g.r.IntN(10); {
	case n < 4:
		p := g.v.cities[g.r.IntN(len(g.v.cities))]
		name := fmt.Sprintf("%-13s%s", p.city, p.state)
		if len(p.city) >= 13 {
			name = p.city + " " + p.state
		}
		if g.r.IntN(3) == 0 {
			name = strings.Repeat(" ", 1+g.r.IntN(3)) + name
		}
		if g.r.IntN(3) == 0 {
			name += strings.Repeat(" ", 1+g.r.IntN(4))
		}
		return name
	case n < 7:
		return g.one(g.v.people)
	case n == 7:
		return "Wireless Caller"
	default:
		return ""
	}
}

// number returns an E.164 US number in one of codes, on the 555 exchange
// like the docs' samples.
func (g *generator) number(codes []string) string {
	return fmt.Sprintf("+1%s555%04d", g.one(codes), g.r.IntN(10000))
}

// uniqueInt returns an int in [lo, hi] not yet in used, and marks it.
func (g *generator) uniqueInt(used map[int]bool, lo, hi int) int {
	for {
		n := lo + g.r.IntN(hi-lo+1)
		if !used[n] {
			used[n] = true
			return n
		}
	}
}

// pick returns n distinct elements of from (n ≤ len(from)).
func (g *generator) pick(from []string, n int) []string {
	perm := g.r.Perm(len(from))
	out := make([]string, min(n, len(from)))
	for i := range out {
		out[i] = from[perm[i]]
	}
	return out
}

func (g *generator) one(from []string) string { return from[g.r.IntN(len(from))] }

// text returns n characters drawn from alphabet.
func (g *generator) text(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

// slug lowercases s and keeps letters and digits only.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}
