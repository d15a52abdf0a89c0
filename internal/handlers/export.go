package handlers

import (
	"bufio"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"switchboard/internal/domain"
)

// exportCalls godoc
//
//	@Summary		Export calls
//	@ID				exportCalls
//	@Description	Every call matching the filters, all upstream pages, streamed as they arrive: NDJSON (one call per line, the default) or CSV (with its header row first, even when no call matches) when `Accept` prefers `text/csv`. `Accept` q-values are honoured; an `Accept` that allows neither type gets NDJSON. Every call appears exactly once, newest first. The export starts once a first Phonewagon budget slot is free within 2 s (else 503); once streaming, it waits for the budget between pages for as long as the client stays connected. Paging upstream stops when the client goes away. Any other upstream failure after the stream has begun aborts the connection, so a partial export never looks complete. `HEAD` answers the headers without reading any call or spending budget. When the account's call-history mirror covers the window, the export is read from it, without upstream requests or budget, and says so with `X-Cache: MIRROR` and `X-Synced-At`. Scope `calls:read`.
//	@Tags			phonewagon
//	@Produce		application/x-ndjson,text/csv
//	@Security		bearerauth
//	@Param			company_id	query		string	false	"Phonewagon company id, from GET /v1/companies (for example 1001)"
//	@Param			campaign_id	query		string	false	"Phonewagon campaign id, from GET /v1/campaigns (for example s2212)"
//	@Param			since		query		string	false	"RFC 3339 time, inclusive"	format(date-time)
//	@Param			until		query		string	false	"RFC 3339 time, exclusive"	format(date-time)
//	@Success		200			{string}	string	"one JSON call per line, or CSV with a header row"
//	@Header			200	{integer}	X-Upstream-Budget-Remaining	"requests left in the Phonewagon budget window"
//	@Header			200	{string}	X-Synced-At	"on answers from the call-history mirror (X-Cache: MIRROR): RFC 3339 time of its last successful follow"
//	@Failure		400			{object}	Problem	"invalid filter"
//	@Failure		401			{object}	Problem	"missing or invalid token"
//	@Failure		403			{object}	Problem	"scope missing, unknown tenant, or no Phonewagon account"
//	@Failure		502			{object}	Problem	"upstream error or rejected credentials"
//	@Failure		503			{object}	Problem	"upstream unavailable, rate limited, or budget exhausted"
//	@Failure		504			{object}	Problem	"upstream timeout"
//	@Router			/v1/calls/export [get]
func (s *Server) exportCalls(w http.ResponseWriter, r *http.Request) error {
	t, pw, err := phonewagonFrom(r.Context())
	if err != nil {
		return err
	}
	f, err := parseCallsFilter(r.URL.RawQuery, false)
	if err != nil {
		return err
	}
	media := negotiateExport(r.Header.Get("Accept"))
	ctx := r.Context()
	if r.Method == http.MethodHead {
		// HEAD reads no call: no upstream request, no budget slot. It says
		// MIRROR when the mirror would answer, except with a campaign_id,
		// whose resolution may need the (budgeted) campaign list.
		setExportHeaders(w, t, media)
		if f.CampaignID == "" {
			if _, st, ok := s.mirrorPlan(ctx, t, pw, f); ok {
				setMirrorHeaders(w, t, st)
			}
		}
		w.WriteHeader(http.StatusOK)
		return nil
	}
	if mq, st, mirrored := s.mirrorPlan(ctx, t, pw, f); mirrored {
		err := s.exportMirror(w, r, t, media, mq, st)
		if !errors.Is(err, errMirrorRead) || ctx.Err() != nil {
			return err
		}
		// Nothing is written yet: the upstream exports instead.
		s.logger.LogAttrs(ctx, slog.LevelWarn, "mirror unreadable; exporting from the upstream",
			slog.String("request_id", RequestID(ctx)), slog.String("error", err.Error()))
	}
	// The first page is fetched before any byte is written, so that its
	// failure (a budget with no slot free within its wait included) is
	// still an ordinary problem response.
	page, err := pw.Calls(ctx, f.firstPage(s.exportTuning.size()))
	if err != nil {
		return err
	}

	setExportHeaders(w, t, media)
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // the stream may outlast the server's WriteTimeout
	w.WriteHeader(http.StatusOK)

	bw := bufio.NewWriterSize(w, 32<<10)
	enc := newExportEncoder(media, bw)
	if enc.begin() != nil {
		return nil // the client went away; nothing more to say to it
	}
	rows := 0
	for {
		for i := range page.Calls {
			if err := enc.write(&page.Calls[i]); err != nil {
				return nil
			}
			rows++
		}
		if err := enc.flush(); err != nil || bw.Flush() != nil || rc.Flush() != nil {
			return nil
		}
		if page.Next == nil || ctx.Err() != nil {
			return nil
		}
		if page, err = s.nextExportPage(ctx, pw, *page.Next); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// Headers are gone; abort the connection so the client sees a
			// broken transfer rather than a short export that looks whole.
			s.logger.LogAttrs(ctx, slog.LevelWarn, "export aborted by upstream failure",
				slog.String("request_id", RequestID(ctx)),
				slog.Int("rows_sent", rows),
				slog.String("error", err.Error()))
			panic(http.ErrAbortHandler)
		}
	}
}

// setExportHeaders writes the headers of an export in media.
func setExportHeaders(w http.ResponseWriter, t *Tenant, media string) {
	setBudgetHeader(w, t)
	h := w.Header()
	h.Set("Content-Type", media+"; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if media == mediaCSV {
		h.Set("Content-Disposition", `attachment; filename="calls.csv"`)
	}
}

// exportEncoder writes calls in one export format.
type exportEncoder interface {
	begin() error // what precedes the first call (CSV: the header row)
	write(c *domain.Call) error
	flush() error
}

func newExportEncoder(media string, w *bufio.Writer) exportEncoder {
	if media == mediaCSV {
		return newCSVEncoder(w)
	}
	return ndjsonEncoder{enc: json.NewEncoder(w)}
}

type ndjsonEncoder struct{ enc *json.Encoder }

func (e ndjsonEncoder) begin() error               { return nil }
func (e ndjsonEncoder) write(c *domain.Call) error { return e.enc.Encode(c) } // Encode ends each value with \n
func (e ndjsonEncoder) flush() error               { return nil }
