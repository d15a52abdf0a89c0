package main

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/clocktest"
)

func TestAFullWalkOfAMirroredTenantMakesNoUpstreamCallsRequest(t *testing.T) {
	fastSyncers(t, 10*time.Millisecond)
	up := startMirrorUpstream(t, 0)
	g := startGateway(t, up.env(t))
	st := waitMirrored(t, g, "acme")
	tok := token(t, "acme", "calls:read")

	before := up.callsRequests("acme-client")
	got := walkMirror(t, []*gateway{g}, tok, "limit=7", nil)
	if after := up.callsRequests("acme-client"); after != before {
		t.Fatalf("upstream /calls requests during the walk: got %d, want 0", after-before)
	}
	if len(got) != mirrorAccountCalls || st.Calls != mirrorAccountCalls {
		t.Fatalf("calls walked: got %d (mirror holds %d), want %d", len(got), st.Calls, mirrorAccountCalls)
	}
	if i := inServingOrder(t, got); i >= 0 {
		t.Fatalf("record %d out of serving order (newest first, ties by id)", i)
	}
	if ids := ids(t, got); len(slices.Compact(slices.Sorted(slices.Values(ids)))) != len(ids) {
		t.Fatal("a call was served twice")
	}

	t.Run("the walk serves exactly the upstream's calls, record for record", func(t *testing.T) {
		data, _ := up.pw.Dataset("acme-client")
		want := map[string]bool{}
		for _, c := range data.Calls {
			want[jsonID(c.ID)] = true
		}
		for _, id := range ids(t, got) {
			if !want[id] {
				t.Fatalf("call %s is not one of acme's", id)
			}
		}
	})
	t.Run("campaign_id with company_id is resolved from that company's campaigns alone", func(t *testing.T) {
		// Runs before any campaign list of acme is cached.
		data, _ := up.pw.Dataset("acme-client")
		if len(data.Companies) < 2 {
			t.Fatal("acme has one company; the test proves nothing")
		}
		names := map[string]int{}
		for _, c := range data.Campaigns {
			names[strconv.FormatInt(c.CompanyID, 10)+"/"+c.Name]++
		}
		for _, camp := range data.Campaigns {
			company := strconv.FormatInt(camp.CompanyID, 10)
			if names[company+"/"+camp.Name] > 1 {
				continue
			}
			var want []string
			for _, c := range data.Calls {
				if c.CampaignID == camp.ID {
					want = append(want, jsonID(c.ID))
				}
			}
			campaignLists := func() (this, others int) {
				for _, r := range up.pw.Requests() {
					if r.ClientID == "acme-client" && strings.HasSuffix(r.Path, "/campaigns") {
						if q, _ := url.ParseQuery(r.RawQuery); q.Get("company_id") == company {
							this++
						} else {
							others++
						}
					}
				}
				return this, others
			}
			beforeThis, beforeOthers := campaignLists()
			before := up.callsRequests("acme-client")
			got := ids(t, walkMirror(t, []*gateway{g}, tok, "limit=50&company_id="+company+"&campaign_id="+url.QueryEscape(camp.ID), nil))
			if !sameSet(got, want) {
				t.Fatalf("campaign %s of company %s: got %d calls, want the upstream's %d", camp.ID, company, len(got), len(want))
			}
			if after := up.callsRequests("acme-client"); after != before {
				t.Fatalf("upstream /calls requests: got %d, want 0", after-before)
			}
			this, others := campaignLists()
			if others != beforeOthers || this-beforeThis > 1 {
				t.Fatalf("campaign lists fetched: %d of company %s, %d of others; want at most 1 and 0", this-beforeThis, company, others-beforeOthers)
			}
			return
		}
		t.Fatal("no campaign with an unambiguous name; the test proves nothing")
	})
	t.Run("a campaign_id filter is answered from the mirror with that campaign's calls", func(t *testing.T) {
		data, _ := up.pw.Dataset("acme-client")
		names := map[string]int{}
		for _, c := range data.Campaigns {
			names[strconv.FormatInt(c.CompanyID, 10)+"/"+c.Name]++
		}
		tested := 0
		for _, camp := range data.Campaigns {
			if names[strconv.FormatInt(camp.CompanyID, 10)+"/"+camp.Name] > 1 || tested == 3 {
				continue // an ambiguous name is the upstream's to answer
			}
			tested++
			var want []string
			for _, c := range data.Calls {
				if c.CampaignID == camp.ID {
					want = append(want, jsonID(c.ID))
				}
			}
			before := up.callsRequests("acme-client")
			got := ids(t, walkMirror(t, []*gateway{g}, tok, "limit=50&campaign_id="+url.QueryEscape(camp.ID), nil))
			if !sameSet(got, want) {
				t.Fatalf("campaign %s: got %d calls, want the upstream's %d", camp.ID, len(got), len(want))
			}
			if after := up.callsRequests("acme-client"); after != before {
				t.Fatalf("campaign %s: upstream /calls requests: got %d, want 0", camp.ID, after-before)
			}
		}
		if tested == 0 {
			t.Fatal("no campaign with an unambiguous name; the test proves nothing")
		}
	})
	t.Run("the metrics show the mirror by client id: calls held, lag, a full backfill, requests by kind", func(t *testing.T) {
		m := g.metrics()
		for _, want := range []string{
			`switchboard_mirror_calls{account="acme-client"} ` + strconv.Itoa(mirrorAccountCalls),
			`switchboard_mirror_backfill_progress_ratio{account="acme-client"} 1`,
			`switchboard_mirror_sync_lag_seconds{account="acme-client"} `,
			`switchboard_mirror_sync_requests_total{account="acme-client",kind="backfill",outcome="ok"} `,
			`switchboard_mirror_sync_requests_total{account="acme-client",kind="follow",outcome="ok"} `,
			`switchboard_mirror_lease_changes_total{account="acme-client",change="acquired"} 1`,
		} {
			if !strings.Contains(m, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		for _, line := range strings.Split(m, "\n") {
			if strings.Contains(line, strings.TrimPrefix(up.url, "http://")) {
				t.Errorf("/metrics names an upstream URL: %s", line)
			}
		}
	})
	t.Run("a mirrored page carries X-Synced-At, an ETag, and 304 on a match", func(t *testing.T) {
		resp, _ := g.get(t, "/v1/calls?limit=5", tok)
		if _, err := time.Parse(time.RFC3339, resp.Header.Get("X-Synced-At")); err != nil {
			t.Fatalf("X-Synced-At: got %q, want an RFC 3339 time", resp.Header.Get("X-Synced-At"))
		}
		if resp.Header.Get("X-Upstream-Budget-Remaining") == "" {
			t.Fatal("X-Upstream-Budget-Remaining missing")
		}
		etag := resp.Header.Get("ETag")
		resp, body := g.get(t, "/v1/calls?limit=5", tok, "If-None-Match", etag)
		if etag == "" || resp.StatusCode != 304 || len(body) != 0 {
			t.Fatalf("revalidation with ETag %q: got %d %q, want 304 with no body", etag, resp.StatusCode, body)
		}
	})
	t.Run("an export of the mirrored window makes no upstream request either", func(t *testing.T) {
		before := up.callsRequests("acme-client")
		resp, body := g.get(t, "/v1/calls/export", tok)
		if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "MIRROR" {
			t.Fatalf("export: got %d X-Cache %q, want 200 MIRROR", resp.StatusCode, resp.Header.Get("X-Cache"))
		}
		if n := bytes.Count(body, []byte("\n")); n != mirrorAccountCalls {
			t.Fatalf("exported lines: got %d, want %d", n, mirrorAccountCalls)
		}
		if after := up.callsRequests("acme-client"); after != before {
			t.Fatalf("upstream /calls requests during the export: got %d, want 0", after-before)
		}
	})
}

func TestMirrorCursorsStayValidAndPagesDoNotShiftWhileCallsArrive(t *testing.T) {
	fastSyncers(t, 5*time.Millisecond)
	up := startMirrorUpstream(t, 50*time.Millisecond) // acme is live: several calls a second, ties included
	g := startGateway(t, up.env(t))
	waitMirrored(t, g, "acme")
	tok := token(t, "acme", "calls:read")

	// Every page asks for a follow first, and after the first page the walk
	// waits for new calls upstream: they enter the mirror mid-walk.
	data, _ := up.pw.Dataset("acme-client")
	held := len(data.Calls)
	arrived := func(page int) {
		if page != 0 {
			return
		}
		clocktest.Eventually(t, 10*time.Second, "new calls arrive upstream", func() bool {
			d, _ := up.pw.Dataset("acme-client")
			return len(d.Calls) > held+3
		})
	}
	walked := walkMirror(t, []*gateway{g}, tok, "limit=25", arrived, "Cache-Control", "no-cache")
	if i := inServingOrder(t, walked); i >= 0 {
		t.Fatalf("record %d out of serving order: a page shifted", i)
	}
	first, firstAt := callID(t, walked[0])

	// Everything the mirror now holds, read in one export.
	_, body := g.get(t, "/v1/calls/export", tok)
	var now []json.RawMessage
	for _, line := range bytes.Split(bytes.TrimSpace(body), []byte("\n")) {
		now = append(now, json.RawMessage(line))
	}
	newer := 0
	for _, r := range now {
		if id, _ := callID(t, r); id == first {
			break
		}
		newer++
	}
	if newer == 0 {
		t.Fatal("no call arrived during the walk; the test proves nothing")
	}
	if got, want := ids(t, walked), ids(t, now[newer:]); !slices.Equal(got, want) {
		t.Fatalf("the walk from %s (%s) skipped or repeated calls: walked %d, the mirror holds %d at or before it",
			first, firstAt, len(got), len(want))
	}
}

func TestAMirrorIsNeverServedToATenantOfAnotherAccount(t *testing.T) {
	fastSyncers(t, 10*time.Millisecond)
	up := startMirrorUpstream(t, 0)
	g := startGateway(t, up.env(t))
	waitMirrored(t, g, "acme")
	waitMirrored(t, g, "beta")
	acme, beta := token(t, "acme", "calls:read"), token(t, "beta", "calls:read")

	acmeCalls := walkMirror(t, []*gateway{g}, acme, "limit=100", nil)
	betaCalls := walkMirror(t, []*gateway{g}, beta, "limit=100", nil)
	betaByID := map[string]json.RawMessage{}
	for _, r := range betaCalls {
		id, _ := callID(t, r)
		betaByID[id] = r
	}
	data, _ := up.pw.Dataset("beta-client")
	if len(betaCalls) != len(data.Calls) {
		t.Fatalf("beta's walk: got %d calls, want beta's %d", len(betaCalls), len(data.Calls))
	}

	t.Run("by list: beta's walk holds no record of acme's", func(t *testing.T) {
		for _, r := range acmeCalls {
			id, _ := callID(t, r)
			if b, ok := betaByID[id]; ok && bytes.Equal(b, r) {
				t.Fatalf("beta was served acme's call %s", id)
			}
		}
	})
	t.Run("by id: beta reads its own record or 404, never acme's", func(t *testing.T) {
		for _, r := range acmeCalls[:20] {
			id, _ := callID(t, r)
			resp, body := g.get(t, "/v1/calls/"+id, beta)
			if want, ok := betaByID[id]; ok {
				if resp.StatusCode != 200 || !jsonEqual(body, want) {
					t.Fatalf("GET /v1/calls/%s as beta: got %d %s, want beta's record", id, resp.StatusCode, truncate(body))
				}
				continue
			}
			problem(t, resp, body, 404, "not-found")
		}
	})
	t.Run("by cursor: acme's cursor is invalid for beta", func(t *testing.T) {
		_, body := g.get(t, "/v1/calls?limit=5", acme)
		var p callPage
		_ = json.Unmarshal(body, &p)
		if p.NextCursor == nil {
			t.Fatal("acme's first page has no cursor")
		}
		resp, body := g.get(t, "/v1/calls?limit=5&cursor="+url.QueryEscape(*p.NextCursor), beta)
		problem(t, resp, body, 400, "invalid-cursor")
	})
}

func TestOneCallAndTheSyncStateAreReadFromTheMirror(t *testing.T) {
	fastSyncers(t, 10*time.Millisecond)
	up := startMirrorUpstream(t, 0)
	g := startGateway(t, up.env(t))
	waitMirrored(t, g, "acme")
	tok := token(t, "acme", "calls:read")

	_, body := g.get(t, "/v1/calls?limit=3", tok)
	var p callPage
	_ = json.Unmarshal(body, &p)
	id, _ := callID(t, p.Data[1])

	t.Run("GET /v1/calls/{id} answers the call as listed, from the mirror", func(t *testing.T) {
		before := up.callsRequests("acme-client")
		resp, body := g.get(t, "/v1/calls/"+id, tok)
		if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "MIRROR" || !jsonEqual(body, p.Data[1]) {
			t.Fatalf("got %d X-Cache %q %s, want 200 MIRROR %s", resp.StatusCode, resp.Header.Get("X-Cache"), truncate(body), truncate(p.Data[1]))
		}
		if up.callsRequests("acme-client") != before {
			t.Fatal("GET /v1/calls/{id} made an upstream request")
		}
		resp2, _ := g.get(t, "/v1/calls/"+id, tok, "If-None-Match", resp.Header.Get("ETag"))
		if resp2.StatusCode != 304 {
			t.Fatalf("revalidation: got %d, want 304", resp2.StatusCode)
		}
	})
	t.Run("a call the mirror does not hold is 404 not-found", func(t *testing.T) {
		resp, body := g.get(t, "/v1/calls/999999999", tok)
		problem(t, resp, body, 404, "not-found")
	})
	t.Run("GET /v1/sync has exactly the documented fields", func(t *testing.T) {
		resp, body := g.get(t, "/v1/sync", tok)
		var raw map[string]json.RawMessage
		if resp.StatusCode != 200 || json.Unmarshal(body, &raw) != nil {
			t.Fatalf("got %d %s", resp.StatusCode, body)
		}
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range raw {
				if !yield(k) {
					return
				}
			}
		})
		if want := []string{"calls", "covered_from", "last_error", "state", "synced_at"}; !reflect.DeepEqual(keys, want) {
			t.Fatalf("fields: got %v, want %v", keys, want)
		}
		var st syncStatus
		_ = json.Unmarshal(body, &st)
		if st.State != "following" || st.Calls != mirrorAccountCalls || string(st.LastError) != "null" ||
			!st.CoveredFrom.Equal(time.Unix(0, 0)) || st.SyncedAt == nil {
			t.Fatalf("got %s, want following, %d calls, covered from the epoch, synced, no error", body, mirrorAccountCalls)
		}
	})
	for _, path := range []string{"/v1/sync", "/v1/calls/" + id} {
		t.Run("a tenant without a mirror gets 403 mirror-not-configured on "+strings.SplitN(path, "/", 4)[2], func(t *testing.T) {
			resp, body := g.get(t, path, token(t, "plain", "calls:read"))
			problem(t, resp, body, 403, "mirror-not-configured")
		})
	}
	t.Run("a tenant without a mirror is answered by the upstream as before", func(t *testing.T) {
		resp, body := g.get(t, "/v1/calls?limit=3", token(t, "plain", "calls:read"))
		if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "MISS" {
			t.Fatalf("got %d X-Cache %q %s, want 200 MISS", resp.StatusCode, resp.Header.Get("X-Cache"), truncate(body))
		}
	})
}

func TestNoCacheOnAMirroredReadRunsOneFollowForConcurrentCallers(t *testing.T) {
	// The syncer looks for follow requests every 300 ms: callers that ask
	// within one such period share one follow.
	fastSyncers(t, 300*time.Millisecond)
	up := startMirrorUpstream(t, 0)
	g := startGateway(t, up.env(t))
	waitMirrored(t, g, "acme")
	tok := token(t, "acme", "calls:read")
	_, first := g.get(t, "/v1/sync", tok)
	var before syncStatus
	_ = json.Unmarshal(first, &before)

	const callers = 20
	requests := up.callsRequests("acme-client")
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range callers {
		wg.Go(func() {
			<-start
			resp, body := g.get(t, "/v1/calls?limit="+strconv.Itoa(i+1), tok, "Cache-Control", "no-cache")
			if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "MIRROR" {
				t.Errorf("caller %d: got %d X-Cache %q %s", i, resp.StatusCode, resp.Header.Get("X-Cache"), truncate(body))
			}
			if at, err := time.Parse(time.RFC3339, resp.Header.Get("X-Synced-At")); err != nil || at.Before(before.SyncedAt.Truncate(time.Second)) {
				t.Errorf("caller %d: X-Synced-At %q, want a follow at or after %s", i, resp.Header.Get("X-Synced-At"), before.SyncedAt)
			}
		})
	}
	close(start)
	wg.Wait()
	if got := up.callsRequests("acme-client") - requests; got < 1 || got > 2 {
		t.Fatalf("upstream /calls requests for %d concurrent no-cache callers: got %d, want 1 (2 when a poll splits them)", callers, got)
	}
}

// jsonID renders a simulator call id as the gateway's string id.
func jsonID(id int64) string { return strconv.FormatInt(id, 10) }

// jsonEqual compares two JSON documents by value.
func jsonEqual(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

// sameSet reports whether a and b hold the same strings, each once.
func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))) &&
		len(slices.Compact(slices.Sorted(slices.Values(a)))) == len(a)
}
