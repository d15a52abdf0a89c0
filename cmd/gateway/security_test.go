package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"

	"switchboard/internal/auth"
	"switchboard/internal/sandbox/fault"
)

// hostileGateway runs a gateway that accepts HS256 and RS256 callers.
func hostileGateway(t *testing.T) (*gateway, *upstreams, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	pemFile := filepath.Join(t.TempDir(), "callers.pem")
	if err := os.WriteFile(pemFile, pubPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	up := startUpstreams(t)
	file, env := up.tenantsFile(t)
	env["SWITCHBOARD_TENANTS_FILE"] = file
	env["SWITCHBOARD_JWT_PUBLIC_KEY_FILE"] = pemFile
	return startGateway(t, env), up, pubPEM
}

func TestHostileRequestsGetACleanFourHundred(t *testing.T) {
	g, _, pubPEM := hostileGateway(t)
	acme := token(t, "acme", auth.KnownScopes()...)
	beta := token(t, "beta", auth.KnownScopes()...)
	now := time.Now()
	claims := jwt.MapClaims{"sub": "x", "tenant": "acme", "aud": "switchboard", "exp": now.Add(time.Hour).Unix(), "scope": "calls:read lookups:read"}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	confused, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(pubPEM)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	kidTok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	kidTok.Header["kid"] = "../../../../etc/passwd"
	kidGame, _ := kidTok.SignedString(other)
	sqlKid := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	sqlKid.Header["kid"] = "' OR '1'='1"
	sqlKidTok, _ := sqlKid.SignedString([]byte("not-the-secret-0123456789abcdef0123"))

	_, first := g.get(t, "/v1/calls?limit=2", acme)
	cursor := between(string(first), `"next_cursor":"`, `"`)

	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	tests := []struct {
		name, method, path, tok, body string
		status                        int
		slug                          string
	}{
		{"alg none", "GET", "/v1/tags", none, "", 401, "unauthorized"},
		{"HS256 signed with the RSA public key", "GET", "/v1/tags", confused, "", 401, "unauthorized"},
		{"a kid naming a file, signed with a foreign key", "GET", "/v1/tags", kidGame, "", 401, "unauthorized"},
		{"a kid with SQL, signed with a wrong secret", "GET", "/v1/tags", sqlKidTok, "", 401, "unauthorized"},
		{"an oversized token", "GET", "/v1/tags", strings.Repeat("a", 12000), "", 401, "unauthorized"},
		{"path traversal in the automation id", "POST", "/v1/automations/..%2F..%2Fadmin/enrollments", acme, `{}`, 400, "validation"},
		{"dot segments in the automation id", "POST", "/v1/automations/%2e%2e/enrollments", acme, `{}`, 400, "validation"},
		{"a polluted limit", "GET", "/v1/calls?limit=5&limit=1000", acme, "", 400, "validation"},
		{"a huge limit", "GET", "/v1/calls?limit=100000000000000000000000", acme, "", 400, "validation"},
		{"a negative limit", "GET", "/v1/calls?limit=-1", acme, "", 400, "validation"},
		{"another tenant's cursor", "GET", "/v1/calls?limit=2&cursor=" + cursor, beta, "", 400, "invalid-cursor"},
		{"invalid UTF-8 in the query", "GET", "/v1/calls?campaign_id=%ff%fe", acme, "", 400, "validation"},
		{"deep JSON nesting", "POST", "/v1/contacts", acme, deep, 400, "validation"},
		{"invalid UTF-8 in the body", "POST", "/v1/contacts", acme, "{\"phone\":\"+17862455063\",\"install\":\"+17866275049\",\"first_name\":\"\xff\xfe\"}", 400, "validation"},
		{"a body that is not an object", "POST", "/v1/contacts", acme, `"just a string"`, 400, "validation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, g.URL+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer "+tt.tok)
			if tt.method == "POST" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			problem(t, resp, body, tt.status, tt.slug)
			for _, leak := range []string{"127.0.0.1", "goroutine", "panic", e2eSecret, "acme-cw-password"} {
				if strings.Contains(string(body), leak) {
					t.Errorf("body leaks %q: %s", leak, body)
				}
			}
		})
	}
}

func TestRequestIDHeaderInjectionIsRefused(t *testing.T) {
	g, _, _ := hostileGateway(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(g.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A raw request: Go's client refuses to send such a header.
	fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\rX-Injected: yes\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("X-Injected") != "" {
		t.Fatal("an injected header came back")
	}
	if resp.StatusCode == 200 && strings.ContainsAny(resp.Header.Get("X-Request-Id"), "\r\n") {
		t.Fatalf("X-Request-Id echoed with a line break: %q", resp.Header.Get("X-Request-Id"))
	}
	if resp.StatusCode != 200 && resp.StatusCode != 400 {
		t.Fatalf("status: got %d, want 200 with a fresh id or a 400", resp.StatusCode)
	}
}

// TestPlantedSecretsNeverLeak plants known secrets (passwords, client
// secret, the JWT key, the upstream tokens) and drives successes and
// failures at debug level; none may appear in a response body or header, a
// log line, the metrics, an exported trace span, or a Redis key or value.
// Phone numbers appear in logs only masked, and in spans not at all.
func TestPlantedSecretsNeverLeak(t *testing.T) {
	spans := captureSpans(t)
	url, prefix := testRedis(t)
	up := startUpstreams(t)
	issued := spyOnTokens(t, up)
	env := replicaEnv(t, up, url, prefix)
	env["SWITCHBOARD_LOG_LEVEL"] = "debug"
	env["SWITCHBOARD_UPSTREAM_TIMEOUT"] = "1s"
	g := startGateway(t, env)
	tok := token(t, "acme", auth.KnownScopes()...)
	data, _ := up.cw.Dataset("ops@acme.example")
	install := data.Installs[0].Number
	const phone = "+17862455063"

	var seen strings.Builder
	record := func(resp *http.Response, body []byte) {
		for k, v := range resp.Header {
			fmt.Fprintf(&seen, "%s: %s\n", k, strings.Join(v, ","))
		}
		seen.Write(body)
	}
	for _, path := range []string{"/v1/tags", "/v1/installs", "/v1/companies", "/v1/campaigns", "/v1/calls?limit=3", "/v1/budget"} {
		record(g.get(t, path, tok))
	}
	record(g.post(t, "/v1/messages", tok, `{"phone":"`+phone+`","install":"`+install+`","message":"hi"}`, "Idempotency-Key", "canary-1"))
	record(g.post(t, "/v1/contacts", tok, `{"phone":"`+phone+`","install":"+17866275049"}`)) // refused upstream: unknown install
	up.cw.InjectFault(fault.Fault{Status: 500, PathPrefix: "/share/"})
	record(g.post(t, "/v1/contacts", tok, `{"phone":"`+phone+`","install":"`+install+`"}`))
	record(g.get(t, "/v1/tags", tok, "Cache-Control", "no-cache"))
	record(g.get(t, "/v1/calls/"+phone, tok)) // a number where an id goes: the access log's path
	record(g.get(t, "/v1/calls/%28786%29%20245-5063", tok))
	up.cw.InjectFault(fault.Fault{Status: 401})
	record(g.get(t, "/v1/departments", tok, "Cache-Control", "no-cache"))
	up.cw.ClearFault()
	up.pw.InjectFault(fault.Fault{Kind: fault.KindHang})
	record(g.get(t, "/v1/calls?limit=4", tok))
	up.pw.ClearFault()
	mresp, metrics := g.get(t, "/metrics", "")
	record(mresp, metrics)

	secrets := append([]string{"acme-cw-password", "acme-pw-secret", "beta-cw-password", "beta-pw-secret", e2eSecret,
		"0123456789abcdef0123456789abcdef"}, issued()...)
	if len(issued()) == 0 {
		t.Fatal("no upstream token was issued; the test would prove nothing")
	}
	logs := g.Logs.String()
	if !strings.Contains(logs, `"msg":"request failed"`) || !strings.Contains(logs, `"level":"DEBUG"`) && !strings.Contains(logs, `"msg":"request"`) {
		t.Fatalf("the log shows no failure or request lines; the check below would prove nothing:\n%s", logs)
	}
	for _, s := range secrets {
		if strings.Contains(seen.String(), s) {
			t.Errorf("a response carries the secret %.12q…", s)
		}
		if strings.Contains(logs, s) {
			t.Errorf("the log carries the secret %.12q…", s)
		}
	}
	if strings.Contains(logs, phone) || strings.Contains(logs, "7862455063") || strings.Contains(logs, "245-5063") {
		t.Errorf("the log carries a phone number in full")
	}
	traced := dumpSpans(spans.GetSpans())
	if !strings.Contains(traced, "callwidget new-sms") || !strings.Contains(traced, "POST /v1/messages") {
		t.Fatalf("the spans show no message sent; the check below would prove nothing:\n%s", traced)
	}
	for _, s := range append(secrets, phone, "7862455063", install, strings.TrimPrefix(install, "+"), "Bearer", "?", "limit=") {
		if strings.Contains(traced, s) {
			t.Errorf("an exported span carries %.12q…", s)
		}
	}
	if strings.Contains(traced, tok) || strings.Contains(traced, strings.Split(tok, ".")[2]) {
		t.Errorf("an exported span carries the caller's token")
	}

	opts, _ := redis.ParseURL(url)
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	keys, _ := scanKeys(ctx, rdb, prefix)
	for _, k := range keys {
		var dump string
		switch rdb.Type(ctx, k).Val() {
		case "string":
			dump = rdb.Get(ctx, k).Val()
		case "hash":
			dump = fmt.Sprint(rdb.HGetAll(ctx, k).Val())
		case "zset":
			dump = fmt.Sprint(rdb.ZRange(ctx, k, 0, -1).Val())
		}
		for _, s := range secrets {
			if strings.Contains(dump, s) || strings.Contains(k, s) {
				t.Errorf("Redis key %s carries the secret %.12q…", k, s)
			}
		}
	}
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}
