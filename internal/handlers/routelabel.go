package handlers

import (
	"net/http"
	"strings"
	"sync"

	"github.com/go-chi/chi/v5"
)

// unmatchedRoute labels a request whose path is no route of the gateway, so
// that a scan of random paths cannot blow up metric cardinality.
const unmatchedRoute = "unmatched"

// routeMethods are the methods the router serves; a request with any other
// method is labelled methodOther.
var routeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}

// methodOther labels a request whose method is not one of routeMethods: the
// method is the caller's text, and a label must stay bounded.
const methodOther = "OTHER"

// routeLabel is the route template a request was aimed at. When a handler
// answered, chi's pattern is complete. When a middleware refused the request
// before routing finished (401, 403, 429 in /v1's middleware) the pattern is
// empty or stops at the mount ("/v1/*"), and for a 405 no route matched the
// method: then the path is looked up in the router (Find: a tree walk, no
// allocation per segment, bounded by the path's length), first with the
// request's method, then with any method. A path no route knows is
// unmatchedRoute.
func (s *Server) routeLabel(r *http.Request) string {
	p := ""
	if rc := chi.RouteContext(r.Context()); rc != nil {
		p = routePattern(rc)
	}
	if p != "" && !strings.HasSuffix(p, "/*") {
		return p
	}
	path := r.URL.Path
	if f := s.router.Find(chi.NewRouteContext(), r.Method, path); f != "" {
		return f
	}
	for _, m := range routeMethods {
		if f := s.router.Find(chi.NewRouteContext(), m, path); f != "" {
			return f
		}
	}
	return unmatchedRoute
}

// methodLabel is r's method when the router knows it, else methodOther.
func methodLabel(r *http.Request) string {
	for _, m := range routeMethods {
		if r.Method == m {
			return m
		}
	}
	return methodOther
}

// routePatterns caches chi's RoutePattern, which joins the patterns a
// request matched into a new string on every call, by those patterns: they
// come from the registered routes, so there are few of them.
var routePatterns struct {
	sync.RWMutex
	m map[[4]string]string
}

// maxRoutePatterns bounds routePatterns, should the patterns be many.
const maxRoutePatterns = 1024

// routePattern returns rc.RoutePattern(), from routePatterns when it can.
func routePattern(rc *chi.Context) string {
	var key [4]string
	if len(rc.RoutePatterns) > len(key) {
		return rc.RoutePattern()
	}
	copy(key[:], rc.RoutePatterns)
	routePatterns.RLock()
	p, ok := routePatterns.m[key]
	routePatterns.RUnlock()
	if ok {
		return p
	}
	p = rc.RoutePattern()
	routePatterns.Lock()
	defer routePatterns.Unlock()
	if routePatterns.m == nil {
		routePatterns.m = make(map[[4]string]string)
	}
	if len(routePatterns.m) < maxRoutePatterns {
		routePatterns.m[key] = p
	}
	return p
}
