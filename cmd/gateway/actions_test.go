package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/idempotency"
	"switchboard/internal/redistest"
	"switchboard/internal/sandbox/callwidgetsim"
	"switchboard/internal/sandbox/fault"
)

// post sends an authenticated JSON POST.
func (g *gateway) post(t *testing.T, path, bearer, body string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+bearer)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// actionsFor counts the actions the simulator performed on path.
func actionsFor(cw *callwidgetsim.Server, path string) []callwidgetsim.Action {
	var out []callwidgetsim.Action
	for _, a := range cw.Actions() {
		if strings.HasSuffix(a.Path, path) {
			out = append(out, a)
		}
	}
	return out
}

// requestsFor counts the requests that reached the simulator on path,
// answered or not (a faulted request counts: the upstream received it).
func requestsFor(cw *callwidgetsim.Server, path string) int {
	n := 0
	for _, r := range cw.Requests() {
		if strings.HasSuffix(r.Path, path) {
			n++
		}
	}
	return n
}

func TestEachActionSendsTheMappedUpstreamBody(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	tok := token(t, "acme", auth.KnownScopes()...)
	data, _ := up.cw.Dataset("ops@acme.example")
	install := data.Installs[0].Number
	automation := itoa(data.Automations[0].ID)

	base := `"phone":"+17862455063","install":"` + install + `","first_name":"Test","last_name":"User","email":"testuser@example.com","department":"Sales","birthday":"1990-06-02"`
	tests := []struct {
		name, path, body, upstream string
		status                     int
		want                       map[string]any
	}{
		{"a contact goes to new-contact with bday and both tag names", "/v1/contacts", `{` + base + `,"tags":["vip"]}`, "/share/new-contact", 201,
			map[string]any{"phone": "+17862455063", "install": install, "first_name": "Test", "last_name": "User", "email": "testuser@example.com", "department": "Sales", "bday": "1990-06-02", "tag": []any{"vip"}, "tags": []any{"vip"}}},
		{"a call without a message goes to new-call", "/v1/calls", `{` + base + `}`, "/share/new-call", 202,
			map[string]any{"phone": "+17862455063", "install": install, "first_name": "Test", "last_name": "User", "email": "testuser@example.com", "department": "Sales", "bday": "1990-06-02"}},
		{"a call with a message goes to new-sms-call", "/v1/calls", `{` + base + `,"message":"hi"}`, "/share/new-sms-call", 202,
			map[string]any{"phone": "+17862455063", "install": install, "first_name": "Test", "last_name": "User", "email": "testuser@example.com", "department": "Sales", "bday": "1990-06-02", "message": "hi"}},
		{"a text goes to new-sms", "/v1/messages", `{"phone":"+17862455063","install":"` + install + `","message":"hello","tags":["a","b"]}`, "/share/new-sms", 202,
			map[string]any{"phone": "+17862455063", "install": install, "message": "hello", "tag": []any{"a", "b"}, "tags": []any{"a", "b"}}},
		{"an enrollment goes to new-automation with the automation id", "/v1/automations/" + automation + "/enrollments", `{"phone":"+17862455063","install":"` + install + `"}`, "/share/new-automation", 201,
			map[string]any{"phone": "+17862455063", "install": install, "automation": automation}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(actionsFor(up.cw, tt.upstream))
			resp, body := g.post(t, tt.path, tok, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status: got %d, want %d; body %s", resp.StatusCode, tt.status, body)
			}
			acts := actionsFor(up.cw, tt.upstream)
			if len(acts) != before+1 {
				t.Fatalf("upstream actions on %s: got %d, want %d", tt.upstream, len(acts), before+1)
			}
			if got := acts[len(acts)-1].Fields; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("upstream body:\n got %v\nwant %v", got, tt.want)
			}
			var res struct {
				Source  string `json:"source"`
				Contact struct {
					Phone string `json:"phone"`
				} `json:"contact"`
			}
			if err := json.Unmarshal(body, &res); err != nil || res.Source != "callwidget" || res.Contact.Phone != "+17862455063" {
				t.Errorf("response: got %s", body)
			}
		})
	}
}

func TestBadActionRequestsAreRefusedWithTheFieldNamed(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	tok := token(t, "acme", auth.KnownScopes()...)
	ok := `"phone":"+17862455063","install":"+17866275049"`

	tests := []struct {
		name, path, body, ctype string
		status                  int
		slug, field             string
	}{
		{"a missing phone", "/v1/contacts", `{"install":"+17866275049"}`, "", 400, "validation", "phone"},
		{"a phone that is not E.164", "/v1/contacts", `{"phone":"786-245-5063","install":"+17866275049"}`, "", 400, "validation", "phone"},
		{"an install with no such number plan", "/v1/contacts", `{"phone":"+17862455063","install":"+19991234567"}`, "", 400, "validation", "install"},
		{"a bad email", "/v1/contacts", `{` + ok + `,"email":"nope"}`, "", 400, "validation", "email"},
		{"a birthday that is not a date", "/v1/contacts", `{` + ok + `,"birthday":"2023-02-30"}`, "", 400, "validation", "birthday"},
		{"a birthday in the future", "/v1/contacts", `{` + ok + `,"birthday":"2999-01-01"}`, "", 400, "validation", "birthday"},
		{"a first name over 256 characters", "/v1/contacts", `{` + ok + `,"first_name":"` + strings.Repeat("é", 257) + `"}`, "", 400, "validation", "first_name"},
		{"an empty tag", "/v1/contacts", `{` + ok + `,"tags":["a",""]}`, "", 400, "validation", "tags[1]"},
		{"51 tags", "/v1/contacts", `{` + ok + `,"tags":[` + strings.TrimSuffix(strings.Repeat(`"t",`, 51), ",") + `]}`, "", 400, "validation", "tags"},
		{"a message on a contact", "/v1/contacts", `{` + ok + `,"message":"hi"}`, "", 400, "validation", "message"},
		{"a text without a message", "/v1/messages", `{` + ok + `}`, "", 400, "validation", "message"},
		{"a message over 1600 characters", "/v1/messages", `{` + ok + `,"message":"` + strings.Repeat("x", 1601) + `"}`, "", 400, "validation", "message"},
		{"an unknown field", "/v1/contacts", `{` + ok + `,"nickname":"x"}`, "", 400, "validation", "nickname"},
		{"a wrong type", "/v1/contacts", `{"phone":17862455063,"install":"+17866275049"}`, "", 400, "validation", "phone"},
		{"a non-JSON content type", "/v1/contacts", `{` + ok + `}`, "text/plain", 415, "unsupported-media-type", ""},
		{"a body over 64 KiB", "/v1/contacts", `{` + ok + `,"first_name":"` + strings.Repeat("x", 70000) + `"}`, "", 413, "payload-too-large", ""},
		{"an automation id that is not a number", "/v1/automations/..%2f..%2fetc/enrollments", `{` + ok + `}`, "", 400, "validation", "id"},
		{"an automation the tenant does not have", "/v1/automations/999999/enrollments", `{"phone":"+17862455063","install":"+17866275049"}`, "", 404, "not-found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := []string{}
			if tt.ctype != "" {
				hdr = []string{"Content-Type", tt.ctype}
			}
			resp, body := g.post(t, tt.path, tok, tt.body, hdr...)
			p := problem(t, resp, body, tt.status, tt.slug)
			if tt.field == "" {
				return
			}
			errs, _ := p["errors"].([]any)
			for _, e := range errs {
				if m, _ := e.(map[string]any); m["field"] == tt.field {
					return
				}
			}
			t.Errorf("errors: got %v, want one naming %q", p["errors"], tt.field)
		})
	}
	if n := len(up.cw.Actions()); n != 0 {
		t.Errorf("upstream actions: got %d, want 0 for bad requests", n)
	}
}

func TestIdempotencyKeys(t *testing.T) {
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	env["SWITCHBOARD_UPSTREAM_TIMEOUT"] = "1s"
	g := startGateway(t, env)
	tok := token(t, "acme", auth.KnownScopes()...)
	data, _ := up.cw.Dataset("ops@acme.example")
	body := `{"phone":"+17862455063","install":"` + data.Installs[0].Number + `","message":"hello"}`

	t.Run("a repeat is replayed without a second upstream call", func(t *testing.T) {
		r1, b1 := g.post(t, "/v1/messages", tok, body, "Idempotency-Key", "k-replay")
		r2, b2 := g.post(t, "/v1/messages", tok, body, "Idempotency-Key", "k-replay")
		if r1.StatusCode != 202 || r2.StatusCode != 202 || string(b1) != string(b2) {
			t.Fatalf("got %d %s then %d %s, want the same 202 twice", r1.StatusCode, b1, r2.StatusCode, b2)
		}
		if r2.Header.Get("Idempotent-Replayed") != "true" || r1.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("Idempotent-Replayed: got %q then %q, want none then true", r1.Header.Get("Idempotent-Replayed"), r2.Header.Get("Idempotent-Replayed"))
		}
		if n := len(actionsFor(up.cw, "/share/new-sms")); n != 1 {
			t.Errorf("upstream texts: got %d, want 1", n)
		}
	})
	t.Run("the same key with another body is 422", func(t *testing.T) {
		resp, b := g.post(t, "/v1/messages", tok, strings.Replace(body, "hello", "other", 1), "Idempotency-Key", "k-replay")
		problem(t, resp, b, 422, "idempotency-key-reused")
	})
	t.Run("another tenant's key does not replay", func(t *testing.T) {
		beta := token(t, "beta", auth.KnownScopes()...)
		bdata, _ := up.cw.Dataset("ops@beta.example")
		resp, b := g.post(t, "/v1/messages", beta, strings.Replace(body, data.Installs[0].Number, bdata.Installs[0].Number, 1), "Idempotency-Key", "k-replay")
		if resp.StatusCode != 202 || resp.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("got %d replayed=%q %s, want a fresh 202", resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), b)
		}
	})
	t.Run("a 5xx after the upstream received the text is replayed, never sent again", func(t *testing.T) {
		before := requestsFor(up.cw, "/share/new-sms")
		up.cw.InjectFault(fault.Fault{Status: 500, Times: 1, PathPrefix: "/share/new-sms"})
		r1, b1 := g.post(t, "/v1/messages", tok, body, "Idempotency-Key", "k-5xx")
		problem(t, r1, b1, 502, "upstream-error")
		r2, b2 := g.post(t, "/v1/messages", tok, body, "Idempotency-Key", "k-5xx")
		problem(t, r2, b2, 502, "upstream-error")
		if r2.Header.Get("Idempotent-Replayed") != "true" || string(b1) != string(b2) {
			t.Errorf("retry: got replayed=%q %s, want the first 502 replayed", r2.Header.Get("Idempotent-Replayed"), b2)
		}
		if n := requestsFor(up.cw, "/share/new-sms") - before; n != 1 {
			t.Errorf("requests that reached the upstream: got %d, want 1", n)
		}
	})
	t.Run("a timeout is a 504 that is not retriable, sent once, and replayed", func(t *testing.T) {
		countReqs := func() int { return requestsFor(up.cw, "/share/new-sms") }
		before := countReqs()
		up.cw.InjectFault(fault.Fault{Kind: fault.KindHang, PathPrefix: "/share/new-sms"})
		r1, b1 := g.post(t, "/v1/messages", tok, body, "Idempotency-Key", "k-timeout")
		up.cw.ClearFault()
		p := problem(t, r1, b1, 504, "upstream-timeout")
		if p["retriable"] != false {
			t.Errorf("retriable: got %v, want false", p["retriable"])
		}
		if n := countReqs() - before; n != 1 {
			t.Errorf("requests that reached the upstream: got %d, want 1", n)
		}
		r2, _ := g.post(t, "/v1/messages", tok, body, "Idempotency-Key", "k-timeout")
		if r2.StatusCode != 504 || r2.Header.Get("Idempotent-Replayed") != "true" || countReqs()-before != 1 {
			t.Errorf("retry: got %d replayed=%q, upstream requests %d; want the 504 replayed and still 1",
				r2.StatusCode, r2.Header.Get("Idempotent-Replayed"), countReqs()-before)
		}
	})
}

func TestConcurrentRequestsWithOneKeyMakeOneUpstreamCall(t *testing.T) {
	cw, err := callwidgetsim.New(callwidgetsim.Config{
		Users:   []callwidgetsim.User{{Email: "ops@acme.example", Password: "acme-cw-password", Seed: 1}},
		Latency: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(cw)
	defer srv.Close()
	up := startUpstreams(t)
	up.cwURL, up.cw = srv.URL+"/api/v1", cw
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	g := startGateway(t, env)
	tok := token(t, "acme", auth.KnownScopes()...)
	data, _ := cw.Dataset("ops@acme.example")
	body := `{"phone":"+17862455063","install":"` + data.Installs[0].Number + `"}`

	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range codes {
		wg.Go(func() {
			resp, _ := g.post(t, "/v1/contacts", tok, body, "Idempotency-Key", "k-race")
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	got := map[int]int{codes[0]: 1}
	got[codes[1]]++
	if got[201] != 1 || got[409] != 1 {
		t.Fatalf("statuses: got %v, want one 201 and one 409", codes)
	}
	if n := len(cw.Actions()); n != 1 {
		t.Fatalf("upstream actions: got %d, want 1", n)
	}
}

func TestAClaimWhoseReplicaDiedAnswersUncertainAfterItsLeaseAndIsNeverSent(t *testing.T) {
	rdb, prefix := redistest.Open(t)
	up := startUpstreams(t)
	g := startGateway(t, replicaEnv(t, up, redistest.URL(), prefix))
	tok := token(t, "acme", auth.KnownScopes()...)
	data, _ := up.cw.Dataset("ops@acme.example")
	body := `{"phone":"+17862455063","install":"` + data.Installs[0].Number + `","message":"hello"}`

	// A replica claimed the key under its own owner token, with a short
	// lease, and died before completing it.
	const lease = time.Second
	store := idempotency.NewRedis(rdb, prefix+"idem:", nil)
	key := idempotency.TenantKey("acme", "k-dead")
	hash := idempotency.RequestHash(http.MethodPost, "/v1/messages", []byte(body))
	if res, err := store.Begin(context.Background(), key, hash, lease, idempotency.Keep); err != nil || res.Outcome != idempotency.Claimed {
		t.Fatalf("inserting the claim: got %v, %v", res.Outcome, err)
	}
	resp, b := g.post(t, "/v1/messages", tok, body, "Idempotency-Key", "k-dead")
	problem(t, resp, b, 409, "idempotency-key-in-use")

	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err := store.Begin(context.Background(), key, hash, lease, idempotency.Keep)
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome == idempotency.Abandoned {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the lease did not run out within 5s: still %v", res.Outcome)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for range 2 {
		resp, b := g.post(t, "/v1/messages", tok, body, "Idempotency-Key", "k-dead")
		p := problem(t, resp, b, 504, "upstream-timeout")
		if p["retriable"] != false {
			t.Errorf("retriable: got %v, want false", p["retriable"])
		}
	}
	if n := requestsFor(up.cw, "/share/new-sms"); n != 0 {
		t.Fatalf("requests that reached the upstream: got %d, want 0", n)
	}
}

func TestKeyedPOSTsGet503WithRetryAfterWhileRedisIsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "redis://" + ln.Addr().String() + "/0"
	ln.Close()
	up := startUpstreams(t)
	g := startGateway(t, replicaEnv(t, up, closed, "sbtest:idem-down:"))
	tok := token(t, "acme", auth.KnownScopes()...)
	data, _ := up.cw.Dataset("ops@acme.example")
	body := `{"phone":"+17862455063","install":"` + data.Installs[0].Number + `","message":"hello"}`

	resp, b := g.post(t, "/v1/messages", tok, body, "Idempotency-Key", "k-down")
	problem(t, resp, b, 503, "upstream-unavailable")
	if ra := resp.Header.Get("Retry-After"); ra == "" {
		t.Error("Retry-After: got none, want one")
	}
	if n := requestsFor(up.cw, "/share/new-sms"); n != 0 {
		t.Fatalf("requests that reached the upstream for the keyed POST: got %d, want 0", n)
	}
	resp, b = g.post(t, "/v1/messages", tok, body)
	if resp.StatusCode != 202 {
		t.Fatalf("a POST without a key: got %d %s, want 202", resp.StatusCode, b)
	}
}
