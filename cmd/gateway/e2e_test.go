package main

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/auth"
)

func TestSandboxModeGivesANewcomerAWorkingGateway(t *testing.T) {
	g := startGateway(t, map[string]string{"SWITCHBOARD_SANDBOX": "true", "SWITCHBOARD_JWT_SECRET": ""})

	curl := regexp.MustCompile(`curl -sS -H 'Authorization: Bearer ([A-Za-z0-9._-]+)' '([^']+)'`).FindStringSubmatch(g.Stdout.String())
	if curl == nil {
		t.Fatalf("banner has no curl line:\n%s", g.Stdout)
	}
	tok, target := curl[1], curl[2]
	if !strings.HasPrefix(target, g.URL) {
		t.Fatalf("curl target %q is not on the gateway %q", target, g.URL)
	}

	t.Run("the printed curl line works as pasted", func(t *testing.T) {
		resp, body := g.get(t, strings.TrimPrefix(target, g.URL), tok)
		if resp.StatusCode != 200 {
			t.Fatalf("status: got %d, want 200; body %s", resp.StatusCode, body)
		}
		var list struct {
			Data []map[string]any `json:"data"`
		}
		if err := json.Unmarshal(body, &list); err != nil || len(list.Data) == 0 {
			t.Fatalf("body: got %s, want a non-empty list", body)
		}
	})
	t.Run("the printed mirror lines show /v1/sync, then a calls page with X-Cache: MIRROR", func(t *testing.T) {
		out := g.Stdout.String()
		syncLine := regexp.MustCompile(`curl -sS -H 'Authorization: Bearer [A-Za-z0-9._-]+' '([^']+/v1/sync)'`).FindStringSubmatch(out)
		calls := regexp.MustCompile(`curl -sS -i -H 'Authorization: Bearer [A-Za-z0-9._-]+' '([^']+/v1/calls[^']*)'`).FindStringSubmatch(out)
		if syncLine == nil || calls == nil {
			t.Fatalf("banner lacks the /v1/sync line or the calls line with -i:\n%s", out)
		}
		for deadline := time.Now().Add(20 * time.Second); ; {
			_, body := g.get(t, strings.TrimPrefix(syncLine[1], g.URL), tok)
			if strings.Contains(string(body), `"state":"following"`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the demo mirror is not following within 20 s: %s", body)
			}
			time.Sleep(50 * time.Millisecond) // polling the observable sync state, bounded
		}
		resp, body := g.get(t, strings.TrimPrefix(calls[1], g.URL), tok)
		if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "MIRROR" || resp.Header.Get("X-Synced-At") == "" {
			t.Fatalf("got %d X-Cache %q X-Synced-At %q, want 200 MIRROR with X-Synced-At; body %s",
				resp.StatusCode, resp.Header.Get("X-Cache"), resp.Header.Get("X-Synced-At"), truncate(body))
		}
	})
	t.Run("healthz answers ok", func(t *testing.T) {
		if resp, body := g.get(t, "/healthz", ""); resp.StatusCode != 200 {
			t.Fatalf("status: got %d, want 200; body %s", resp.StatusCode, body)
		}
	})
	t.Run("docs serve Swagger UI", func(t *testing.T) {
		resp, body := g.get(t, "/docs/", "")
		if resp.StatusCode != 200 || !strings.Contains(string(body), "swagger-ui") {
			t.Fatalf("got %d %q, want 200 with Swagger UI", resp.StatusCode, body[:min(len(body), 200)])
		}
	})
	t.Run("openapi.yaml is OpenAPI 3.1", func(t *testing.T) {
		resp, body := g.get(t, "/openapi.yaml", "")
		if resp.StatusCode != 200 || !strings.Contains(string(body), "openapi: 3.1") {
			t.Fatalf("got %d, want 200 with an OpenAPI 3.1 document", resp.StatusCode)
		}
	})
	t.Run("openapi.json lists the calls route", func(t *testing.T) {
		_, body := g.get(t, "/openapi.json", "")
		var doc struct {
			Paths map[string]any `json:"paths"`
		}
		if err := json.Unmarshal(body, &doc); err != nil || doc.Paths["/v1/calls"] == nil {
			t.Fatalf("openapi.json: err %v, paths %v", err, doc.Paths)
		}
	})
}

// walkCalls follows next_cursor from first until it is null.
func walkCalls(t *testing.T, g *gateway, first, tok string) (ids []string, pages int) {
	t.Helper()
	path := first
	for {
		resp, body := g.get(t, path, tok)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: status %d, body %s", path, resp.StatusCode, body)
		}
		var page struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
			NextCursor *string `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		pages++
		for _, c := range page.Data {
			ids = append(ids, c.ID)
		}
		link := resp.Header.Get("Link")
		if page.NextCursor == nil {
			if link != "" {
				t.Fatalf("last page has Link %q, want none", link)
			}
			return ids, pages
		}
		if !strings.Contains(link, url.QueryEscape(*page.NextCursor)) || !strings.HasSuffix(link, `rel="next"`) {
			t.Fatalf("Link %q does not carry next_cursor", link)
		}
		u, _ := url.Parse(first)
		q := u.Query()
		q.Set("cursor", *page.NextCursor)
		path = u.Path + "?" + q.Encode()
	}
}

func TestCallsWalkReturnsEveryCallExactlyOnceInOrder(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)

	ids, pages := walkCalls(t, g, "/v1/calls?limit=300", token(t, "acme", auth.ScopeCallsRead))
	data, _ := up.pw.Dataset("acme-client")
	if len(ids) != len(data.Calls) {
		t.Fatalf("calls: got %d over %d pages, want %d", len(ids), pages, len(data.Calls))
	}
	for i, c := range data.Calls {
		if want := itoa(c.ID); ids[i] != want {
			t.Fatalf("call %d: got id %s, want %s", i, ids[i], want)
		}
	}
	if want := (len(data.Calls) + 299) / 300; pages != want && pages != want+1 {
		t.Errorf("pages: got %d, want %d (or one empty last page)", pages, want)
	}
}

func TestCursorIsBoundToTenantAndFilters(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	acme, beta := token(t, "acme", auth.ScopeCallsRead), token(t, "beta", auth.ScopeCallsRead)

	_, body := g.get(t, "/v1/calls?limit=5", acme)
	var page struct {
		NextCursor string `json:"next_cursor"`
	}
	if err := json.Unmarshal(body, &page); err != nil || page.NextCursor == "" {
		t.Fatalf("first page has no cursor: %s", body)
	}
	tampered := []byte(page.NextCursor)
	tampered[10] ^= 0x01

	tests := []struct {
		name string
		path string
		tok  string
	}{
		{"a tampered cursor is refused", "/v1/calls?limit=5&cursor=" + url.QueryEscape(string(tampered)), acme},
		{"another tenant's cursor is refused", "/v1/calls?limit=5&cursor=" + url.QueryEscape(page.NextCursor), beta},
		{"a cursor with other filters is refused", "/v1/calls?limit=6&cursor=" + url.QueryEscape(page.NextCursor), acme},
		{"garbage is refused", "/v1/calls?cursor=not-a-cursor", acme},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := g.get(t, tt.path, tt.tok)
			problem(t, resp, body, 400, "invalid-cursor")
		})
	}
	t.Run("the cursor reveals no upstream URL", func(t *testing.T) {
		if strings.Contains(page.NextCursor, "127.0.0.1") || strings.Contains(page.NextCursor, "http") {
			t.Fatalf("cursor %q shows an address", page.NextCursor)
		}
	})
}

func TestConcurrentFirstRequestsLogInOnce(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	tok := token(t, "acme", auth.ScopeLookupsRead)

	var wg sync.WaitGroup
	codes := make(chan int, 20)
	for range 20 {
		wg.Go(func() {
			resp, _ := g.get(t, "/v1/tags", tok)
			codes <- resp.StatusCode
		})
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 200 {
			t.Fatalf("status: got %d, want 200", c)
		}
	}
	if got := up.cw.Logins(); got != 1 {
		t.Fatalf("logins: got %d, want 1", got)
	}
}

func TestRevokedUpstreamTokenCostsOneReloginAndSucceeds(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	tok := token(t, "acme", auth.ScopeLookupsRead)

	if resp, body := g.get(t, "/v1/departments", tok); resp.StatusCode != 200 {
		t.Fatalf("first: status %d, body %s", resp.StatusCode, body)
	}
	before := up.cw.Logins() + up.cw.Refreshes()
	up.cw.RevokeAccessTokens("ops@acme.example")
	if resp, body := g.get(t, "/v1/departments", tok, "Cache-Control", "no-cache"); resp.StatusCode != 200 {
		t.Fatalf("after revocation: status %d, body %s", resp.StatusCode, body)
	}
	if got := up.cw.Logins() + up.cw.Refreshes() - before; got != 1 {
		t.Fatalf("token acquisitions after revocation: got %d, want 1", got)
	}
}

func TestTenantsSeeOnlyTheirOwnData(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)

	_, a := g.get(t, "/v1/companies", token(t, "acme", auth.ScopeCampaignsRead))
	_, b := g.get(t, "/v1/companies", token(t, "beta", auth.ScopeCampaignsRead))
	if string(a) == string(b) {
		t.Fatalf("acme and beta got the same companies: %s", a)
	}
	resp, body := g.get(t, "/v1/companies", token(t, "solo", auth.ScopeCampaignsRead))
	problem(t, resp, body, 403, "upstream-not-configured")
}

func itoa(v any) string {
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}
