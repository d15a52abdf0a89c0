package handlers

import (
	"strings"
	"testing"

	"switchboard/internal/domain"
)

// TestEveryProblemTypeResolvesToAPage follows the type URI of every slug
// in the table, as a newcomer clicking the link in a problem would.
func TestEveryProblemTypeResolvesToAPage(t *testing.T) {
	g := newTestGateway(t)
	for code, k := range problemKinds {
		t.Run(string(code), func(t *testing.T) {
			rec := g.do(t, "GET", "/problems/"+string(code), "", nil)
			if rec.Code != 200 {
				t.Fatalf("status: got %d, want 200; body %s", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type: got %q, want text/html; charset=utf-8", ct)
			}
			body := rec.Body.String()
			if k.means == "" || k.todo == "" {
				t.Fatalf("the slug table has no meaning or advice for %s", code)
			}
			for _, want := range []string{"<h1>" + k.title + "</h1>", "What it means", "What to do", "/problems/" + string(code)} {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %q:\n%s", want, body)
				}
			}
		})
	}
}

func TestProblemPagesEdges(t *testing.T) {
	g := newTestGateway(t)
	t.Run("an unknown slug is a 404 problem", func(t *testing.T) {
		rec := g.do(t, "GET", "/problems/no-such-thing", "", nil)
		p := decodeProblem(t, rec, 404, domain.CodeNotFound)
		if !strings.Contains(p.Detail, "no-such-thing") || !strings.Contains(p.Detail, "/problems/") {
			t.Errorf("detail: got %q, want it to name the slug and the index", p.Detail)
		}
	})
	t.Run("the index lists every slug", func(t *testing.T) {
		rec := g.do(t, "GET", "/problems/", "", nil)
		if rec.Code != 200 {
			t.Fatalf("status: got %d, want 200", rec.Code)
		}
		for code := range problemKinds {
			if !strings.Contains(rec.Body.String(), `href="/problems/`+string(code)+`"`) {
				t.Errorf("index lacks a link to %s", code)
			}
		}
	})
	t.Run("an unknown path points to the API reference", func(t *testing.T) {
		rec := g.do(t, "GET", "/v2/nothing", "", nil)
		p := decodeProblem(t, rec, 404, domain.CodeNotFound)
		if !strings.Contains(p.Detail, "/docs") {
			t.Errorf("detail: got %q, want it to point to /docs", p.Detail)
		}
	})
}
