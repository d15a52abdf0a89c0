package handlers

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
)

// routes builds the router. Order of the middleware matters: the request id
// first so every later line carries it, then the server span (when tracing
// is on) so the access log line can name its trace, then instrumentation
// around panic recovery so a recovered panic is logged and counted as the
// 500 it became.
func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	r.Use(withRequestID)
	if s.tracing.Enabled() {
		r.Use(serverSpan(s.tracing, s.routeLabel))
	}
	r.Use(s.instrument(s.logger, s.metrics), recoverer(s.logger), s.limitBody, middleware.GetHead)
	r.NotFound(s.handle(s.notFound))
	r.MethodNotAllowed(s.handle(s.methodNotAllowed))

	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Get("/metrics", s.metrics.Handler().ServeHTTP)
	r.Get("/openapi.yaml", s.openAPI("application/yaml", s.openAPIYAML))
	r.Get("/openapi.json", s.openAPI("application/json", s.openAPIJSON))
	r.Get("/docs", http.RedirectHandler("/docs/", http.StatusMovedPermanently).ServeHTTP)
	r.Get("/docs/*", s.docs())
	r.Get("/problems", http.RedirectHandler("/problems/", http.StatusMovedPermanently).ServeHTTP)
	r.Get("/problems/", s.handle(s.problemList))
	r.Get("/problems/{slug}", s.handle(s.problemDoc))

	r.Route("/v1", func(r chi.Router) {
		r.Use(s.authenticate, s.limitInbound)
		r.Get("/budget", s.handle(s.getBudget))
		r.With(s.requireScope(auth.ScopeLookupsRead)).Group(func(r chi.Router) {
			r.Get("/tags", s.handle(s.listTags()))
			r.Get("/departments", s.handle(s.listDepartments()))
			r.Get("/automations", s.handle(s.listAutomations()))
			r.Get("/installs", s.handle(s.listInstalls))
		})
		r.With(s.requireScope(auth.ScopeCampaignsRead)).Group(func(r chi.Router) {
			r.Get("/companies", s.handle(s.listCompanies))
			r.Get("/campaigns", s.handle(s.listCampaigns))
		})
		r.With(s.requireScope(auth.ScopeCallsRead)).Group(func(r chi.Router) {
			r.Get("/calls", s.handle(s.listCalls))
			r.Get("/calls/export", s.handle(s.exportCalls))
			r.Get("/calls/{id}", s.handle(s.getCall))
			r.Get("/sync", s.handle(s.getSync))
			r.Get("/events", s.handle(s.streamEvents))
			r.Get("/webhooks", s.handle(s.listWebhooks))
		})
		r.With(s.requireScope(auth.ScopeCallsWrite)).Post("/calls", s.handle(s.createCall()))
		r.With(s.requireScope(auth.ScopeMessagesSend)).Post("/messages", s.handle(s.sendMessage()))
		r.With(s.requireScope(auth.ScopeContactsWrite)).Post("/contacts", s.handle(s.createContact()))
		r.With(s.requireScope(auth.ScopeAutomationsRun)).Post("/automations/{id}/enrollments", s.handle(s.enrollContact()))
	})
	return r
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	return domain.Errorf(domain.CodeNotFound, "no resource at this path; the API reference is at /docs")
}

// methodNotAllowed answers 405 with the Allow header listing the methods the
// path does accept.
func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request) error {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if s.router.Match(chi.NewRouteContext(), m, r.URL.Path) {
			allowed = append(allowed, m)
			if m == http.MethodGet {
				allowed = append(allowed, http.MethodHead) // served by middleware.GetHead
			}
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
	}
	return domain.Errorf(domain.CodeMethodNotAllowed, "%s is not allowed here", r.Method)
}
