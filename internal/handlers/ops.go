package handlers

import (
	"context"
	"io/fs"
	"net/http"
	"strings"
	"time"

	swaggerfiles "github.com/swaggo/files/v2"
)

// readyTimeout bounds /readyz so a hung dependency cannot hang the probe.
const readyTimeout = 2 * time.Second

// healthz says the process is alive; it checks nothing else on purpose.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	_ = writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz reports every dependency. It answers 503 with Retry-After when one
// fails; the body names the dependency, never its address or credentials.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	checks := make(map[string]string, len(s.ready))
	status, code := "ready", http.StatusOK
	for _, c := range s.ready {
		if err := c.Check(ctx); err != nil {
			checks[c.Name] = "down"
			status, code = "not ready", http.StatusServiceUnavailable
			s.logger.WarnContext(r.Context(), "readiness check failed", "check", c.Name, "error", err.Error())
			continue
		}
		checks[c.Name] = "ok"
	}
	w.Header().Set("Cache-Control", "no-store")
	if code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfterSeconds(0))
	}
	_ = writeJSON(w, code, map[string]any{"status": status, "checks": checks})
}

// openAPI serves the embedded OpenAPI document.
func (s *Server) openAPI(contentType string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(body)
	}
}

// swaggerInitializer points the embedded Swagger UI at our own document
// instead of the bundle's demo URL.
const swaggerInitializer = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    // A "Try it out" of the export shows thousands of calls: highlighting
    // that much text freezes the page for minutes, plain text shows at once.
    syntaxHighlight: { activated: false },
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout"
  });
};
`

// docs serves Swagger UI from the assets embedded in the binary, so /docs
// works with no network access.
func (s *Server) docs() http.HandlerFunc {
	files := http.StripPrefix("/docs/", http.FileServerFS(swaggerfiles.FS))
	return func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/docs/")
		switch {
		case name == "swagger-initializer.js":
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			_, _ = w.Write([]byte(swaggerInitializer))
			return
		case strings.HasSuffix(name, ".map"):
			http.NotFound(w, r) // source maps are 5 MiB we need not ship to browsers
			return
		}
		if name != "" {
			if _, err := fs.Stat(swaggerfiles.FS, name); err != nil {
				s.handle(s.notFound)(w, r)
				return
			}
		}
		files.ServeHTTP(w, r)
	}
}
