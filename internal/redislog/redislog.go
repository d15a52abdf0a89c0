// Package redislog routes the Redis client's own log lines (go-redis's
// connection-pool and Sentinel messages, which it otherwise prints as plain
// text to stderr) through log/slog, so that every line the process writes
// is one JSON object.
package redislog

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/redis/go-redis/v9"
)

// userinfo matches the credentials part of a URL ("redis://user:pass@").
var userinfo = regexp.MustCompile(`([a-z][a-z0-9+.-]*://)[^/@\s]*@`)

// Logger adapts a *slog.Logger to go-redis's logging interface. Every
// message is logged at WARN (go-redis logs only failures and failovers)
// under the message "redis client", with its text in "detail", stripped of
// any URL credentials and of line breaks.
type Logger struct{ l *slog.Logger }

// New returns a Logger writing to l.
func New(l *slog.Logger) Logger { return Logger{l: l} }

// Printf implements go-redis's internal.Logging.
func (x Logger) Printf(ctx context.Context, format string, v ...any) {
	if ctx == nil {
		ctx = context.Background()
	}
	if !x.l.Enabled(ctx, slog.LevelWarn) {
		return
	}
	msg := userinfo.ReplaceAllString(fmt.Sprintf(format, v...), "${1}[REDACTED]@")
	msg = strings.Join(strings.Fields(msg), " ")
	x.l.LogAttrs(ctx, slog.LevelWarn, "redis client", slog.String("detail", msg))
}

// Install makes l the Redis client's logger. go-redis keeps one logger per
// process, so the last Install wins; call it once, at start-up.
func Install(l *slog.Logger) { redis.SetLogger(New(l)) }
