package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/mirror"
	"switchboard/internal/sandbox/phonewagonsim"
)

// mirrorUpstream is a Phonewagon simulator for mirror tests: acme (live
// when arrivals is set), beta and plain, each with a history of its own
// whose newest call is a minute old.
type mirrorUpstream struct {
	pw  *phonewagonsim.Server
	url string
}

// mirrorAccountCalls is the history size of each simulated account: a few
// backfill pages' worth would slow every test for nothing; this is enough
// for walks of many pages.
const mirrorAccountCalls = 400

func startMirrorUpstream(t *testing.T, arrivals time.Duration) *mirrorUpstream {
	t.Helper()
	now := time.Now().UTC()
	pw, err := phonewagonsim.New(phonewagonsim.Config{
		Accounts: []phonewagonsim.Account{
			{ClientID: "acme-client", ClientSecret: "acme-pw-secret", Seed: 1, Calls: mirrorAccountCalls, ArrivalEvery: arrivals},
			{ClientID: "beta-client", ClientSecret: "beta-pw-secret", Seed: 2, Calls: mirrorAccountCalls},
			{ClientID: "plain-client", ClientSecret: "plain-pw-secret", Seed: 3, Calls: mirrorAccountCalls},
		},
		RatePerMinute: 10000,
		Anchor:        now.Truncate(time.Second).Add(-time.Minute),
		LiveFrom:      now,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pw)
	t.Cleanup(srv.Close)
	return &mirrorUpstream{pw: pw, url: srv.URL}
}

// env is the environment of a gateway in front of u: tenants acme and beta
// (each on its own mirrored account), plain (Phonewagon without a mirror)
// and solo (no Phonewagon). The retention reaches past the history, so the
// backfill covers the beginning of history; the follow and revisit run
// only when asked, so that every upstream request a test sees is one it
// caused or a syncer's first round.
func (u *mirrorUpstream) env(t *testing.T) map[string]string {
	t.Helper()
	mirrorBlock := "mirror: {retention: 8760h, sync_interval: 1h, revisit: 1h, revisit_interval: 24h}"
	doc := fmt.Sprintf(`tenants:
  - id: acme
    phonewagon: {base_url: %[1]s, client_id: acme-client, client_secret: acme-pw-secret, budget_per_minute: 5000, %[2]s}
  - id: beta
    phonewagon: {base_url: %[1]s, client_id: beta-client, client_secret: beta-pw-secret, budget_per_minute: 5000, %[2]s}
  - id: plain
    phonewagon: {base_url: %[1]s, client_id: plain-client, client_secret: plain-pw-secret, budget_per_minute: 5000}
  - id: solo
    callwidget: {base_url: %[1]s, email: ops@solo.example, password: solo-password}
`, u.url, mirrorBlock)
	path := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"SWITCHBOARD_TENANTS_FILE": path}
}

// callsRequests counts the /calls requests the simulator received for
// clientID.
func (u *mirrorUpstream) callsRequests(clientID string) int {
	n := 0
	for _, r := range u.pw.Requests() {
		if r.ClientID == clientID && strings.HasSuffix(r.Path, "/calls") {
			n++
		}
	}
	return n
}

// fastSyncers shortens the syncers' lease and poll periods for the test's
// gateways: a follow request is seen within poll.
func fastSyncers(t *testing.T, poll time.Duration) {
	t.Helper()
	syncerTuning = func(c *mirror.SyncerConfig) {
		c.PollEvery = poll
		c.AcquireEvery = 100 * time.Millisecond
		c.RenewEvery = time.Second
		c.LeaseTTL = 3 * time.Second
		c.RetryEvery = 100 * time.Millisecond
	}
	t.Cleanup(func() { syncerTuning = nil })
}

// syncStatus is GET /v1/sync's body.
type syncStatus struct {
	State       string          `json:"state"`
	CoveredFrom *time.Time      `json:"covered_from"`
	SyncedAt    *time.Time      `json:"synced_at"`
	Calls       int             `json:"calls"`
	LastError   json.RawMessage `json:"last_error"`
}

// waitMirrored waits (bounded) until tenant's mirror follows the upstream
// and covers the beginning of history, having run its first follow and
// revisit: from then on it makes no request until one is asked for.
func waitMirrored(t *testing.T, g *gateway, tenant string) syncStatus {
	t.Helper()
	tok := token(t, tenant, "calls:read")
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, body := g.get(t, "/v1/sync", tok)
		var st syncStatus
		if resp.StatusCode == 200 && json.Unmarshal(body, &st) == nil && st.State == "following" &&
			st.SyncedAt != nil && st.CoveredFrom != nil && st.CoveredFrom.Unix() == 0 && revisited(g) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("mirror of %s not following within 20 s: last /v1/sync %d %s", tenant, resp.StatusCode, body)
		}
		time.Sleep(20 * time.Millisecond) // polling the observable state, bounded by the deadline
	}
}

// revisited reports whether g's metrics show a completed revisit of every
// mirrored account that this replica syncs, or of none when it syncs none.
func revisited(g *gateway) bool {
	m := g.metrics()
	for _, line := range strings.Split(m, "\n") {
		if strings.HasPrefix(line, "switchboard_mirror_lease_changes_total{") && strings.Contains(line, `change="acquired"`) {
			account := between(line, `account="`, `"`)
			if !strings.Contains(m, `switchboard_mirror_sync_requests_total{account="`+account+`",kind="revisit",outcome="ok"}`) {
				return false
			}
		}
	}
	return true
}

// metrics returns g's /metrics text.
func (g *gateway) metrics() string {
	resp, err := httpGet(g.URL + "/metrics")
	if err != nil {
		return ""
	}
	return resp
}

// callPage is GET /v1/calls's body, with only what the tests compare.
type callPage struct {
	Data       []json.RawMessage `json:"data"`
	NextCursor *string           `json:"next_cursor"`
}

// callID reads the id and start time of one call record.
func callID(t *testing.T, raw json.RawMessage) (id string, startedAt time.Time) {
	t.Helper()
	var c struct {
		ID        string    `json:"id"`
		StartedAt time.Time `json:"started_at"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("call record: %v", err)
	}
	return c.ID, c.StartedAt
}

// walkMirror follows next_cursor from query to the end, through the
// gateways in turn, checking every page is a MIRROR answer; it returns the
// records in the order served. onPage, when set, runs after each page.
func walkMirror(t *testing.T, gs []*gateway, tok, query string, onPage func(page int), hdr ...string) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	cursor := ""
	for i := 0; ; i++ {
		path := "/v1/calls?" + query
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		resp, body := gs[i%len(gs)].get(t, path, tok, hdr...)
		if resp.StatusCode != 200 {
			t.Fatalf("page %d: status %d: %s", i, resp.StatusCode, body)
		}
		if got := resp.Header.Get("X-Cache"); got != "MIRROR" {
			t.Fatalf("page %d: X-Cache: got %q, want MIRROR", i, got)
		}
		var p callPage
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Data...)
		if onPage != nil {
			onPage(i)
		}
		if p.NextCursor == nil {
			return out
		}
		cursor = *p.NextCursor
		if i > 10000 {
			t.Fatal("walk does not end")
		}
	}
}

// ids lists the ids of records.
func ids(t *testing.T, records []json.RawMessage) []string {
	out := make([]string, len(records))
	for i, r := range records {
		out[i], _ = callID(t, r)
	}
	return out
}

// inServingOrder reports the first pair of records out of serving order
// (newer first, ties by numeric id descending), or -1.
func inServingOrder(t *testing.T, records []json.RawMessage) int {
	for i := 1; i < len(records); i++ {
		a, at := callID(t, records[i-1])
		b, bt := callID(t, records[i])
		ai, _ := strconv.ParseInt(a, 10, 64)
		bi, _ := strconv.ParseInt(b, 10, 64)
		if at.Before(bt) || (at.Equal(bt) && ai <= bi) {
			return i
		}
	}
	return -1
}

// httpGet returns the body of an unauthenticated GET.
func httpGet(u string) (string, error) {
	resp, err := http.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
