package handlers

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/cache"
	"switchboard/internal/domain"
)

// Response-cache lifetimes (SPEC §5).
const (
	ttlLookups     = 5 * time.Minute  // lookups, companies, campaigns
	ttlClosedCalls = 10 * time.Minute // call pages whose window ended over an hour ago
	ttlOpenCalls   = 30 * time.Second // other call pages
	closedAfter    = time.Hour
)

// page is what a cached GET produces: the value to serve, the headers that
// belong to it (Link), and how long it stays fresh.
type page struct {
	value    any
	header   map[string]string
	freshFor time.Duration
}

// serveCached answers a GET of tenant t from the response cache, filling it
// through fill on a miss. It sets X-Cache, ETag and, for stale or cached answers,
// Age; it answers 304 to a matching If-None-Match; Cache-Control: no-cache
// from the caller revalidates with the upstream.
func (s *Server) serveCached(w http.ResponseWriter, r *http.Request, t *Tenant, key string, fill func(ctx context.Context) (page, error)) error {
	res, err := s.cache.FetchFrom(r.Context(), key, wantsRevalidation(r), pageFill(fill))
	if err != nil {
		return err
	}
	infoFrom(r.Context()).cache = string(res.Status)
	if res.FillErr != nil {
		s.logger.LogAttrs(r.Context(), slog.LevelWarn, "served stale after upstream failure",
			slog.String("request_id", RequestID(r.Context())), slog.String("error", res.FillErr.Error()))
	}
	// The entry's own headers, its ETag and Content-Length were built once
	// when it was stored (cache.Entry.ReadyHeader): copied as they are.
	h := w.Header()
	ready := res.Entry.ReadyHeader()
	for k, v := range ready {
		if k != "Content-Length" {
			h[k] = v
		}
	}
	h["X-Cache"] = xcacheValues[res.Status]
	setBudgetHeader(w, t)
	// Per tenant, so never in a shared cache; clients revalidate with the ETag.
	h["Cache-Control"] = cacheControlPrivate
	if res.Status == cache.StatusHit || res.Status == cache.StatusStale {
		h["Age"] = ageValue(res.Age)
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && cache.ETagMatches(inm, res.Entry.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h["Content-Type"] = contentTypeJSON
	h["Content-Length"] = ready["Content-Length"]
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.Entry.Body)
	return nil
}

// pageFill is a fill of serveCached as a cache.Filler: passing it costs no
// closure per request.
type pageFill func(ctx context.Context) (page, error)

// Fill renders the filled page as a cache entry.
func (f pageFill) Fill(ctx context.Context) (cache.Entry, error) { return entryOf(f(ctx)) }

// ageValue is the Age header of an answer age old, from ageValues when it
// has one.
func ageValue(age time.Duration) []string {
	secs := int64(age / time.Second)
	if secs >= 0 && secs < int64(len(ageValues)) {
		return ageValues[secs]
	}
	return []string{strconv.FormatInt(secs, 10)}
}

// wantsRevalidation reports Cache-Control: no-cache (or the HTTP/1.0
// Pragma: no-cache) on the request.
func wantsRevalidation(r *http.Request) bool {
	for _, v := range r.Header.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(d), "no-cache") {
				return true
			}
		}
	}
	return strings.EqualFold(r.Header.Get("Pragma"), "no-cache")
}

// callsTTL is how long a calls page stays fresh: history whose window ended
// over an hour ago no longer changes much; anything else may.
func callsTTL(q domain.CallsQuery, now time.Time) time.Duration {
	if !q.End.IsZero() && now.Sub(q.End) > closedAfter {
		return ttlClosedCalls
	}
	return ttlOpenCalls
}

// entryOf renders a filled page as a cache entry: the body exactly as it
// will be written.
func entryOf(p page, err error) (cache.Entry, error) {
	if err != nil {
		return cache.Entry{}, err
	}
	body, err := json.Marshal(p.value)
	if err != nil {
		return cache.Entry{}, err
	}
	return cache.Entry{Body: append(body, '\n'), Header: p.header, FreshFor: p.freshFor}, nil
}

// Header values shared by every cache answer, so that a hit allocates none.
// They are never modified: net/http only reads header slices, and an append
// to one (cap == len) copies it.
var (
	xcacheValues        = map[cache.Status][]string{cache.StatusHit: {"HIT"}, cache.StatusMiss: {"MISS"}, cache.StatusStale: {"STALE"}, cache.StatusBypass: {"BYPASS"}}
	cacheControlPrivate = []string{"private, no-cache"}
	contentTypeJSON     = []string{"application/json; charset=utf-8"}
	// ageValues[n] is the Age header of n seconds, for every age a fresh
	// entry can have (the longest freshness is ttlClosedCalls).
	ageValues = func() [][]string {
		v := make([][]string, int(ttlClosedCalls/time.Second))
		for n := range v {
			v[n] = []string{strconv.Itoa(n)}
		}
		return v
	}()
)
