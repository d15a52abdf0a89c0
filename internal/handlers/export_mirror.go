package handlers

import (
	"bufio"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"switchboard/internal/mirror"
)

// exportMirror streams an export from the mirror: keyset pages of
// exportPageSize, no upstream request and no budget. The walk is a keyset,
// so calls that arrive while it streams (newer than its first page) are not
// in it and shift nothing; every call in the window when it started appears
// exactly once. The first page is read before any byte is written, so its
// failure is still a problem response; a later failure aborts the
// connection, as an upstream export does, so a partial export never looks
// whole.
func (s *Server) exportMirror(w http.ResponseWriter, r *http.Request, t *Tenant, media string, q mirror.Query, st mirror.State) error {
	ctx := r.Context()
	if wantsRevalidation(r) {
		s.followFirst(ctx, t.Mirror)
		if fresh, err := t.Mirror.State(ctx); err == nil {
			st = fresh
		}
	}
	q.Limit = s.exportTuning.size()
	pg, err := t.Mirror.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("%w: %w", errMirrorRead, err)
	}
	infoFrom(ctx).cache = "MIRROR"
	setExportHeaders(w, t, media)
	setMirrorHeaders(w, t, st)
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // the stream may outlast the server's WriteTimeout
	w.WriteHeader(http.StatusOK)

	bw := bufio.NewWriterSize(w, 32<<10)
	enc := newExportEncoder(media, bw)
	if enc.begin() != nil {
		return nil
	}
	rows := 0
	for {
		for i := range pg.Calls {
			if enc.write(&pg.Calls[i]) != nil {
				return nil
			}
			rows++
		}
		if enc.flush() != nil || bw.Flush() != nil || rc.Flush() != nil {
			return nil
		}
		if pg.Next == nil || ctx.Err() != nil {
			return nil
		}
		q.After = pg.Next
		if pg, err = t.Mirror.Query(ctx, q); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.logger.LogAttrs(ctx, slog.LevelWarn, "mirror export aborted: the mirror could not be read",
				slog.String("request_id", RequestID(ctx)),
				slog.Int("rows_sent", rows),
				slog.String("error", err.Error()))
			panic(http.ErrAbortHandler)
		}
	}
}
