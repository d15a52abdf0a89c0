package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// recoverer turns a panic into a 500 problem. The stack goes to the log,
// never to the caller. http.ErrAbortHandler is re-raised, as net/http expects.
func recoverer(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				logger.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
					slog.String("request_id", RequestID(r.Context())),
					slog.Any("panic", v),
					slog.String("stack", string(debug.Stack())))
				writeProblem(w, r, logger, errors.New("panic recovered"))
			}()
			next.ServeHTTP(w, r)
		})
	}
}
