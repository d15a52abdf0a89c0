package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/getkin/kin-openapi/openapi3"

	"switchboard/api"
)

// chromiumPath finds a Chromium (Debian's `chromium`, which .ci/run
// installs) or Chrome binary.
func chromiumPath() string {
	if p := os.Getenv("SWITCHBOARD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestSwaggerUIWorksOnTheFirstClick is a newcomer in a real browser: open
// /docs of sandbox mode, authorize with the printed token, then on every
// operation "Try it out" and "Execute" with what Swagger UI fills in. Each
// must answer 2xx with a body. A failure saves a screenshot and prints its
// path. Without Chromium the test is skipped, unless CI is set.
func TestSwaggerUIWorksOnTheFirstClick(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("Chromium is required in CI: install Debian's chromium (.ci/run does)")
		}
		t.Skip("no Chromium found: install Debian's chromium to run the Swagger UI test (it runs in CI)")
	}
	g := startGateway(t, map[string]string{"SWITCHBOARD_SANDBOX": "true"})
	tok := bannerToken(t, g)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The browser lives as long as the context of its first use: no
	// timeout on that one, each step below has its own.

	shoot := func(t *testing.T, name string) {
		t.Helper()
		sctx, c := context.WithTimeout(ctx, 10*time.Second)
		defer c()
		png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Logf("screenshot failed: %v", err)
			return
		}
		dir := os.Getenv("SWITCHBOARD_SCREENSHOTS")
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "switchboard-swaggerui")
		}
		_ = os.MkdirAll(dir, 0o755)
		path := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_", "{", "", "}", "").Replace(name)+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Logf("screenshot not saved: %v", err)
			return
		}
		t.Logf("screenshot of the failure: %s", path)
	}

	err := chromedp.Do(ctx, chromedp.Navigate(g.URL+"/docs/"))
	if err == nil {
		actx, c := context.WithTimeout(ctx, 30*time.Second)
		err = chromedp.Do(actx,
			chromedp.WaitVisible(chromedp.CSS(`.swagger-ui .btn.authorize`)),
			chromedp.Click(chromedp.CSS(`.swagger-ui .btn.authorize`)),
			chromedp.WaitVisible(chromedp.CSS(`.modal-ux input`)),
			chromedp.SendKeys(chromedp.CSS(`.modal-ux input`), tok),
			chromedp.Click(chromedp.CSS(`.modal-ux .auth-btn-wrapper .authorize`)),
			chromedp.WaitVisible(chromedp.CSS(`.modal-ux .btn-done`)),
			chromedp.Click(chromedp.CSS(`.modal-ux .btn-done`)),
			chromedp.WaitNotPresent(chromedp.CSS(`.modal-ux`)),
		)
		c()
	}
	if err != nil {
		shoot(t, "authorize")
		t.Fatalf("authorize in Swagger UI: %v", err)
	}

	for _, op := range documentedOperations(t) {
		t.Run(op.id, func(t *testing.T) {
			if op.stream {
				// Swagger UI shows a response only once it is complete, and
				// an event stream never completes; TestEventsFromTheMirrorOfALiveAccount
				// covers it through HTTP.
				t.Skip("a server-sent event stream never completes, so Swagger UI shows no response for it")
			}
			sel := "#operations-" + op.tag + "-" + op.id
			octx, c := context.WithTimeout(ctx, 30*time.Second)
			defer c()
			err := chromedp.Do(octx,
				chromedp.ScrollIntoView(chromedp.CSS(sel)),
				chromedp.Click(chromedp.CSS(sel+" .opblock-summary")),
				chromedp.WaitVisible(chromedp.CSS(sel+" .try-out__btn")),
				chromedp.Click(chromedp.CSS(sel+" .try-out__btn")),
				chromedp.WaitVisible(chromedp.CSS(sel+" .btn.execute")),
				chromedp.Click(chromedp.CSS(sel+" .btn.execute")),
				chromedp.WaitVisible(chromedp.CSS(sel+" .live-responses-table .response .response-col_status")),
			)
			var status, body string
			if err == nil {
				status, err = chromedp.Run(octx, chromedp.Text(chromedp.CSS(sel+" .live-responses-table .response .response-col_status")))
			}
			if err == nil {
				body, err = chromedp.Run(octx, chromedp.Text(chromedp.CSS(sel+" .live-responses-table .response .response-col_description")))
			}
			if err != nil {
				shoot(t, op.method+" "+op.path)
				t.Fatalf("try it out: %v", err)
			}
			status = strings.TrimSpace(status)
			if !strings.HasPrefix(status, "2") || strings.TrimSpace(body) == "" {
				shoot(t, op.method+" "+op.path)
				t.Fatalf("got status %q with body %.300q, want 2xx and data", status, body)
			}
			if strings.Contains(body, `"data": []`) {
				shoot(t, op.method+" "+op.path)
				t.Errorf("got an empty list, want data: %.300q", body)
			}
		})
	}
}

// documentedOp is one operation of api/openapi.yaml as Swagger UI shows it.
type documentedOp struct {
	method, path, tag, id string
	stream                bool // its 200 is a text/event-stream
}

// documentedOperations lists the /v1 operations, with the element id
// Swagger UI gives each (operations-<tag>-<operationId>).
func documentedOperations(t *testing.T) []documentedOp {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPIYAML())
	if err != nil {
		t.Fatal(err)
	}
	var out []documentedOp
	for _, path := range sortedPaths(doc) {
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		for method, op := range doc.Paths.Value(path).Operations() {
			if len(op.Tags) == 0 || op.OperationID == "" {
				t.Fatalf("%s %s has no tag or operationId", method, path)
			}
			stream := false
			if ok := op.Responses.Status(200); ok != nil && ok.Value != nil {
				_, stream = ok.Value.Content["text/event-stream"]
			}
			out = append(out, documentedOp{method: method, path: path, tag: op.Tags[0], id: op.OperationID, stream: stream})
		}
	}
	if len(out) == 0 {
		t.Fatal(fmt.Errorf("no operations in api/openapi.yaml"))
	}
	return out
}
