package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/events"
)

// EventHub is the event log as /v1/events reads it; *events.Hub is one.
type EventHub interface {
	// Subscribe starts the account's live events.
	Subscribe(ctx context.Context, account string) (*events.Subscription, error)
	// Read reads kept events after an id (the replay).
	Read(ctx context.Context, account, afterID string, limit int) ([]events.Event, error)
}

// Defaults of the event stream (Config.EventsHeartbeat, EventsWriteTimeout).
const (
	// defaultEventsHeartbeat keeps proxies from closing an idle stream:
	// SPEC §8 promises a comment at least every 15 s, which a timer of
	// exactly 15 s misses by its own latency; 12 s keeps a margin for a
	// loaded replica.
	defaultEventsHeartbeat = 12 * time.Second
	// defaultEventsWriteTimeout bounds each write of a stream, in place of
	// the server's WriteTimeout: a client that takes no bytes for this long
	// is cut off (it resumes by id), so a stalled one ties up no goroutine.
	defaultEventsWriteTimeout = 30 * time.Second
	// replayPage is the events read per round trip of a replay: what a
	// replaying stream holds in memory at most, however long the log.
	replayPage = 100
)

// streamEvents godoc
//
//	@Summary		Stream call events
//	@ID				streamEvents
//	@Description	Server-sent events (`text/event-stream`) of the tenant's calls, recorded by its call-history mirror: `call.created` when a call appears, `call.updated` when its normalized record changes. Each event is sent as `id:`, `event:` (the type) and one `data:` line holding the event JSON (`{id, type, created_at, data: <call>}`); a comment line comes at least every 15 s. With `Last-Event-ID` (header, or the `last_event_id` query parameter) the stream first replays every kept event after that id, in order (from the oldest kept when the id is older), then continues live; without it, only new events. Any replica serves any stream with the same ids. A client that falls too far behind is disconnected and resumes by id. Events are kept at least 24 h. Scope `calls:read`.
//	@Tags			events
//	@Produce		text/event-stream
//	@Security		bearerauth
//	@Param			Last-Event-ID	header		string	false	"resume after this event id"
//	@Param			last_event_id	query		string	false	"resume after this event id (for clients that cannot set headers)"
//	@Success		200				{string}	string	"the event stream"
//	@Failure		400				{object}	Problem	"the last event id is not an event id"
//	@Failure		401				{object}	Problem	"missing or invalid token"
//	@Failure		403				{object}	Problem	"scope missing, unknown tenant, no Phonewagon account, or no mirror (mirror-not-configured)"
//	@Failure		503				{object}	Problem	"the shared state cannot be read"
//	@Router			/v1/events [get]
func (s *Server) streamEvents(w http.ResponseWriter, r *http.Request) error {
	t, _, err := mirrorFrom(r.Context())
	if err != nil {
		return err
	}
	if s.events == nil {
		return errors.New("events: no event hub configured")
	}
	resume := r.Header.Get("Last-Event-ID")
	field := "Last-Event-ID"
	if resume == "" {
		resume, field = r.URL.Query().Get("last_event_id"), "last_event_id"
	}
	if resume != "" && !events.ValidID(resume) {
		return domain.ValidationError(domain.FieldError{Field: field, Message: "is not an event id this gateway sent"})
	}
	ctx := r.Context()
	sub, err := s.events.Subscribe(ctx, t.PhonewagonAccount)
	if err != nil {
		return mirrorUnavailable(err)
	}
	defer sub.Close()
	s.metrics.Events.SSEClients.Inc()
	defer s.metrics.Events.SSEClients.Dec()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // no proxy buffering between events
	sw := &sseWriter{w: w, rc: http.NewResponseController(w), timeout: s.eventsWriteTimeout}
	w.WriteHeader(http.StatusOK)
	if err := sw.comment("stream of " + t.ID); err != nil {
		return s.streamEnded(ctx, err)
	}
	last := resume
	for resume != "" {
		page, err := s.events.Read(ctx, t.PhonewagonAccount, last, replayPage)
		if err != nil {
			return s.streamEnded(ctx, err)
		}
		for _, e := range page {
			if err := sw.event(e); err != nil {
				return s.streamEnded(ctx, err)
			}
			last = e.ID
		}
		if len(page) < replayPage {
			break
		}
		select {
		case <-sub.Done():
			// Shutting down, or the live events outran the buffer while
			// replaying (it resumes by id): the rest is not sent.
			return nil
		default:
		}
	}
	// Marks where the replay ends: clients ignore comments, people
	// watching with curl (and tests) see it.
	if err := sw.comment("live"); err != nil {
		return s.streamEnded(ctx, err)
	}
	heartbeat := time.NewTicker(s.eventsHeartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sub.Done():
			// Too slow (it resumes by id) or shutting down: end cleanly.
			return nil
		case e := <-sub.Events():
			if last != "" && !events.Before(last, e.ID) {
				continue // already sent by the replay
			}
			if err := sw.event(e); err != nil {
				return s.streamEnded(ctx, err)
			}
			last = e.ID
		case <-heartbeat.C:
			if err := sw.comment("keep-alive"); err != nil {
				return s.streamEnded(ctx, err)
			}
		}
	}
}

// streamEnded logs why a stream that had started ended early; the status
// line is sent, so nothing more can be answered.
func (s *Server) streamEnded(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		s.logger.LogAttrs(ctx, slog.LevelInfo, "event stream ended",
			slog.String("request_id", RequestID(ctx)), slog.String("error", err.Error()))
	}
	return nil
}

// sseWriter writes server-sent events, each flushed at once, each write
// bounded by timeout instead of the server's WriteTimeout.
type sseWriter struct {
	w       io.Writer
	rc      *http.ResponseController
	timeout time.Duration
}

func (sw *sseWriter) event(e events.Event) error {
	frame, err := e.SSE()
	if err != nil {
		return err
	}
	return sw.write(frame)
}

func (sw *sseWriter) comment(text string) error {
	return sw.write([]byte(": " + text + "\n\n"))
}

func (sw *sseWriter) write(b []byte) error {
	_ = sw.rc.SetWriteDeadline(time.Now().Add(sw.timeout))
	if _, err := sw.w.Write(b); err != nil {
		return err
	}
	return sw.rc.Flush()
}
