package handlers

import (
	"html/template"
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/domain"
)

// problemPage is the page at a problem's type URI, /problems/<slug> (SPEC
// §4): what the problem means and what to do, from the slug table, so that
// the link in every problem document resolves.
var problemPage = template.Must(template.New("problem").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{.Title}} ({{.Slug}}) · Switchboard</title></head>
<body>
<h1>{{.Title}}</h1>
<p>Problem type <code>/problems/{{.Slug}}</code>, HTTP status {{.Status}}.</p>
<h2>What it means</h2>
<p>{{.Means}}</p>
<h2>What to do</h2>
<p>{{.Todo}}</p>
<p>Every problem document carries a <code>request_id</code>; quote it when you report one.
The API reference is at <a href="/docs">/docs</a>; every problem type is listed at <a href="/problems/">/problems/</a>.</p>
</body>
</html>
`))

// problemIndex lists every problem type.
var problemIndex = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Problem types · Switchboard</title></head>
<body>
<h1>Problem types</h1>
<p>Every error is an RFC 9457 problem document whose <code>type</code> is one of these.</p>
<ul>
{{range .}}<li><a href="/problems/{{.Slug}}">{{.Slug}}</a> ({{.Status}}): {{.Title}}</li>
{{end}}</ul>
</body>
</html>
`))

// problemPageData is one slug's row, as the templates read it.
type problemPageData struct {
	Slug, Title, Means, Todo string
	Status                   int
}

// pageData returns the row of code.
func pageData(code domain.Code, k problemKind) problemPageData {
	return problemPageData{Slug: string(code), Title: k.title, Means: k.means, Todo: k.todo, Status: k.status}
}

// maxEchoedSlug caps how much of an unknown slug a 404 repeats.
const maxEchoedSlug = 64

// problemDoc answers GET /problems/{slug}: the slug's page, or a 404
// problem for a slug the table does not have.
func (s *Server) problemDoc(w http.ResponseWriter, r *http.Request) error {
	code := domain.Code(chi.URLParam(r, "slug"))
	k, ok := problemKinds[code]
	if !ok {
		if len(code) > maxEchoedSlug {
			code = code[:maxEchoedSlug] + "…"
		}
		return domain.Errorf(domain.CodeNotFound, "there is no problem type %q; /problems/ lists them all", code)
	}
	return writePage(w, problemPage, pageData(code, k))
}

// problemList answers GET /problems/: every problem type, by slug.
func (s *Server) problemList(w http.ResponseWriter, r *http.Request) error {
	rows := make([]problemPageData, 0, len(problemKinds))
	for code, k := range problemKinds {
		rows = append(rows, pageData(code, k))
	}
	slices.SortFunc(rows, func(a, b problemPageData) int {
		if a.Slug < b.Slug {
			return -1
		}
		return 1
	})
	return writePage(w, problemIndex, rows)
}

// writePage renders a documentation page; it may be cached for a while,
// since it changes only with the binary.
func writePage(w http.ResponseWriter, t *template.Template, data any) error {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("X-Content-Type-Options", "nosniff")
	return t.Execute(w, data)
}
