package handlers

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/cache"
	"switchboard/internal/clocktest"
	"switchboard/internal/domain"
	"switchboard/internal/mirror"
	"switchboard/internal/sandbox/fault"
	"switchboard/internal/sandbox/phonewagonsim"
)

// campaignGateway is a simGateway whose tenant's mirror holds every call
// of the simulator's account and covers the whole history, with the
// response cache on clock.
type campaignGateway struct {
	*simGateway
	clock *clocktest.Clock
}

func newCampaignGateway(t *testing.T) *campaignGateway {
	t.Helper()
	ctx := context.Background()
	store := mirror.NewMemoryStore(nil)
	fence, ok, err := store.Acquire(ctx, "acme-client", "test", time.Minute)
	if err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	g := newSimGateway(t, simOptions{calls: 120, mirror: &mirror.Reader{Store: store, Follows: store, Account: "acme-client"}})
	page, err := g.srv.gen.Load().tenants["acme"].Phonewagon.Calls(ctx, domain.CallsQuery{PageSize: 1000})
	if err != nil || page.Next != nil || len(page.Calls) != len(g.data.Calls) {
		t.Fatalf("reading the account's calls: %d calls, next %v, %v; want %d on one page", len(page.Calls), page.Next, err, len(g.data.Calls))
	}
	if _, err := store.Upsert(ctx, "acme-client", fence, page.Calls); err != nil {
		t.Fatal(err)
	}
	st := mirror.State{CoveredFrom: time.Unix(0, 0), SyncedAt: time.Now(), BackfillDone: true}
	if err := store.SaveState(ctx, "acme-client", fence, st); err != nil {
		t.Fatal(err)
	}
	clock := clocktest.New()
	if g.srv.cache, err = cache.New(cache.Config{Now: clock.Now}); err != nil {
		t.Fatal(err)
	}
	if len(g.data.Companies) < 3 {
		t.Fatalf("the account has %d companies; the tests need 3", len(g.data.Companies))
	}
	return &campaignGateway{simGateway: g, clock: clock}
}

// get sends a GET with the scopes of a reporting app and fails the test
// unless it is answered 200.
func (g *campaignGateway) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, g.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token(t, "acme", auth.ScopeCallsRead, auth.ScopeCampaignsRead))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: got %d %s, want 200", path, resp.StatusCode, body)
	}
	return resp, string(body)
}

// company returns the id of the i-th company in the upstream's order.
func (g *campaignGateway) company(i int) string {
	return strconv.FormatInt(g.data.Companies[i].ID, 10)
}

// campaignOf returns a campaign of company whose name no other campaign of
// that company has and that has calls: one the mirror can serve.
func (g *campaignGateway) campaignOf(t *testing.T, company string) phonewagonsim.Campaign {
	t.Helper()
	for _, c := range g.data.Campaigns {
		if strconv.FormatInt(c.CompanyID, 10) != company || len(g.callsOf(c.ID)) == 0 {
			continue
		}
		if slices.ContainsFunc(g.data.Campaigns, func(o phonewagonsim.Campaign) bool {
			return o.CompanyID == c.CompanyID && o.ID != c.ID && o.Name == c.Name
		}) {
			continue
		}
		return c
	}
	t.Fatalf("company %s has no campaign with calls and a name of its own", company)
	return phonewagonsim.Campaign{}
}

// callsOf returns the ids of the upstream's calls of campaign id.
func (g *campaignGateway) callsOf(id string) []string {
	var out []string
	for _, c := range g.data.Calls {
		if c.CampaignID == id {
			out = append(out, strconv.FormatInt(c.ID, 10))
		}
	}
	return out
}

// upstreamCount counts the upstream requests: to /calls, to /companies and
// to /campaigns by company.
type upstreamCount struct {
	calls, companies int
	campaigns        map[string]int
}

func (g *campaignGateway) count() upstreamCount {
	n := upstreamCount{campaigns: map[string]int{}}
	for _, r := range g.sim.Requests() {
		switch r.Path {
		case "/calls":
			n.calls++
		case "/companies":
			n.companies++
		case "/campaigns":
			q, _ := url.ParseQuery(r.RawQuery)
			n.campaigns[q.Get("company_id")]++
		}
	}
	return n
}

// since returns what was counted after before.
func (n upstreamCount) since(before upstreamCount) upstreamCount {
	out := upstreamCount{calls: n.calls - before.calls, companies: n.companies - before.companies, campaigns: map[string]int{}}
	for company, k := range n.campaigns {
		if d := k - before.campaigns[company]; d != 0 {
			out.campaigns[company] = d
		}
	}
	return out
}

// callsByCampaign asks for every call of campaign id, without company_id,
// and returns the answer's X-Cache and call ids.
func (g *campaignGateway) callsByCampaign(t *testing.T, id string) (xcache string, ids []string) {
	t.Helper()
	resp, body := g.get(t, "/v1/calls?limit=1000&campaign_id="+url.QueryEscape(id))
	var p CallList
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	if p.NextCursor != nil {
		t.Fatalf("a next cursor after %d calls of one campaign, want none", len(p.Data))
	}
	for _, c := range p.Data {
		ids = append(ids, c.ID)
	}
	return resp.Header.Get("X-Cache"), ids
}

func (g *campaignGateway) wantCampaignCalls(t *testing.T, id string) {
	t.Helper()
	xcache, got := g.callsByCampaign(t, id)
	if want := g.callsOf(id); xcache != "MIRROR" || !sameSet(got, want) {
		t.Fatalf("campaign %s: got X-Cache %q and calls %v, want MIRROR and the upstream's %v", id, xcache, got, want)
	}
}

func TestACampaignIDWithoutCompanyIsResolvedFromTheCampaignListsAlreadyCached(t *testing.T) {
	g := newCampaignGateway(t)
	last := g.company(len(g.data.Companies) - 1)
	camp := g.campaignOf(t, last)
	// What a reporting app asks before it filters by one of the campaigns.
	g.get(t, "/v1/companies")
	g.get(t, "/v1/campaigns?company_id="+last)

	before := g.count()
	g.wantCampaignCalls(t, camp.ID)
	if d := g.count().since(before); d.calls != 0 || d.companies != 0 || len(d.campaigns) != 0 {
		t.Fatalf("upstream requests: got %d /calls, %d /companies, /campaigns by company %v; want none",
			d.calls, d.companies, d.campaigns)
	}
}

func TestOnlyTheCampaignListsNotCachedAreListed(t *testing.T) {
	g := newCampaignGateway(t)
	first, second, last := g.company(0), g.company(1), g.company(len(g.data.Companies)-1)
	g.get(t, "/v1/campaigns?company_id="+first)

	before := g.count()
	g.wantCampaignCalls(t, g.campaignOf(t, last).ID)
	d := g.count().since(before)
	if d.calls != 0 || d.companies != 1 {
		t.Fatalf("upstream requests: got %d /calls and %d /companies, want 0 and 1", d.calls, d.companies)
	}
	if d.campaigns[first] != 0 {
		t.Fatalf("company %s's cached campaigns were listed again (%d requests)", first, d.campaigns[first])
	}
	if d.campaigns[last] != 1 {
		t.Fatalf("company %s's campaigns listed %d times, want once", last, d.campaigns[last])
	}
	for company, n := range d.campaigns {
		if n > 1 {
			t.Fatalf("company %s's campaigns listed %d times, want at most once", company, n)
		}
	}

	t.Run("the lists it filled resolve the next campaign_id at no cost", func(t *testing.T) {
		if _, listed := d.campaigns[second]; !listed {
			t.Skipf("company %s was not listed: its campaigns are not cached", second)
		}
		before := g.count()
		g.wantCampaignCalls(t, g.campaignOf(t, second).ID)
		if d := g.count().since(before); d.calls != 0 || d.companies != 0 || len(d.campaigns) != 0 {
			t.Fatalf("upstream requests: got %d /calls, %d /companies, /campaigns by company %v; want none",
				d.calls, d.companies, d.campaigns)
		}
	})
}

func TestAnUnknownCampaignIDIsStillAnsweredByTheUpstream(t *testing.T) {
	g := newCampaignGateway(t)
	g.get(t, "/v1/companies")
	for i := range g.data.Companies {
		g.get(t, "/v1/campaigns?company_id="+g.company(i))
	}

	before := g.count()
	xcache, got := g.callsByCampaign(t, "s0")
	if xcache != "MISS" || len(got) != 0 {
		t.Fatalf("got X-Cache %q and calls %v, want the upstream's empty page (MISS)", xcache, got)
	}
	if d := g.count().since(before); d.calls != 1 || d.companies != 0 || len(d.campaigns) != 0 {
		t.Fatalf("upstream requests: got %d /calls, %d /companies, /campaigns by company %v; want the one /calls request",
			d.calls, d.companies, d.campaigns)
	}
}

func TestACampaignResolutionIsNotUsedPastItsListsFreshness(t *testing.T) {
	g := newCampaignGateway(t)
	company := g.company(1)
	camp := g.campaignOf(t, company)
	g.get(t, "/v1/companies")
	g.get(t, "/v1/campaigns?company_id="+company)

	g.clock.Advance(ttlLookups - time.Minute)
	g.wantCampaignCalls(t, camp.ID) // resolved a minute before the list turns stale

	g.clock.Advance(time.Minute)
	g.wantResolvedListingOnce(t, camp.ID, company, "once its list was stale")
}

// wantResolvedListingOnce checks that a mirrored read of campaign id lists
// company's campaigns exactly once (when is said in the failure).
func (g *campaignGateway) wantResolvedListingOnce(t *testing.T, id, company, when string) {
	t.Helper()
	before := g.count()
	g.wantCampaignCalls(t, id)
	if d := g.count().since(before); d.campaigns[company] != 1 {
		t.Fatalf("%s: company %s's campaigns listed %d times, want once", when, company, d.campaigns[company])
	}
}

func TestAStaleCampaignListResolvesOnlyWhileTheUpstreamFails(t *testing.T) {
	g := newCampaignGateway(t)
	company := g.company(0)
	camp := g.campaignOf(t, company)
	g.wantCampaignCalls(t, camp.ID) // caches the lists it reads

	// The list is stale and Phonewagon fails: the cache serves the stale
	// list (as GET /v1/campaigns would), and the mirror keeps answering.
	g.clock.Advance(ttlLookups + time.Minute)
	g.sim.InjectFault(fault.Fault{Status: http.StatusServiceUnavailable, PathPrefix: "/campaigns"})
	for range 2 {
		xcache, got := g.callsByCampaign(t, camp.ID)
		if want := g.callsOf(camp.ID); xcache != "MIRROR" || !sameSet(got, want) {
			t.Fatalf("during the outage: got X-Cache %q and calls %v, want MIRROR and %v", xcache, got, want)
		}
	}

	// Once Phonewagon answers again, the stale list was not remembered: the
	// next read fills it again before resolving.
	g.sim.ClearFault()
	g.wantResolvedListingOnce(t, camp.ID, company, "after the outage (a stale list is not remembered)")
}

func TestACampaignIDWithAnotherCompanyIsNotServedByTheMirror(t *testing.T) {
	g := newCampaignGateway(t)
	camp := g.campaignOf(t, g.company(0))
	other := g.company(1)
	g.wantCampaignCalls(t, camp.ID) // remembers the campaign's company

	resp, body := g.get(t, "/v1/calls?limit=1000&company_id="+other+"&campaign_id="+url.QueryEscape(camp.ID))
	var p CallList
	if err := json.Unmarshal([]byte(body), &p); err != nil || len(p.Data) != 0 || resp.Header.Get("X-Cache") == "MIRROR" {
		t.Fatalf("got X-Cache %q and %s (%v), want the upstream's empty page", resp.Header.Get("X-Cache"), body, err)
	}
}

func TestACampaignMemoIsPerTenantAndAccountAndEndsWithItsList(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	var m campaignMemo
	acme := campaignMemoKey{tenant: "acme", account: "acme-client", campaign: "s2212"}
	m.put(acme, "1001", "Facebook", now.Add(time.Minute), now)

	cases := []struct {
		name   string
		key    campaignMemoKey
		at     time.Time
		wantOK bool
	}{
		{"the tenant reads it before the list's end", acme, now.Add(time.Minute - time.Millisecond), true},
		{"another tenant of the same account does not", campaignMemoKey{"beta", "acme-client", "s2212"}, now, false},
		{"the tenant on another account does not", campaignMemoKey{"acme", "other-client", "s2212"}, now, false},
		{"nobody reads it at the list's end", acme, now.Add(time.Minute), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			company, name, ok := m.get(c.key, c.at)
			if ok != c.wantOK || (ok && (company != "1001" || name != "Facebook")) {
				t.Fatalf("get(%+v): got (%q, %q, %v), want ok %v", c.key, company, name, ok, c.wantOK)
			}
		})
	}
	t.Run("a resolution from a list already stale is not remembered", func(t *testing.T) {
		k := campaignMemoKey{"acme", "acme-client", "s1"}
		m.put(k, "1001", "Billboard", now, now)
		if _, _, ok := m.get(k, now.Add(-time.Second)); ok {
			t.Fatal("remembered")
		}
	})
	t.Run("a full memo makes room by dropping what expired, and no more", func(t *testing.T) {
		var full campaignMemo
		for i := range maxCampaignMemo {
			full.put(campaignMemoKey{"acme", "acme-client", "s" + strconv.Itoa(i)}, "1001", "n", now.Add(time.Duration(i%2+1)*time.Minute), now)
		}
		later := now.Add(time.Minute) // the odd ones are still fresh
		k := campaignMemoKey{"acme", "acme-client", "new"}
		full.put(k, "1001", "n", later.Add(time.Minute), later)
		if _, _, ok := full.get(k, later); !ok || len(full.entries) != maxCampaignMemo/2+1 {
			t.Fatalf("got ok %v with %d entries, want the new one among %d", ok, len(full.entries), maxCampaignMemo/2+1)
		}
	})
}

// sameSet reports whether a and b hold the same ids, each once.
func sameSet(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(a, b) && len(slices.Compact(a)) == len(b)
}
