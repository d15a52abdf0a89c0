package redislog

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestPrintfWritesOneJSONObjectWithoutCredentials(t *testing.T) {
	var buf bytes.Buffer
	l := New(slog.New(slog.NewJSONHandler(&buf, nil)))
	l.Printf(context.Background(), "redis: connection pool: failed to dial after %d attempts: %v\nnext line", 1,
		"dial redis://app:s3cret@10.0.0.1:6379: refused")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1: %q", len(lines), buf.String())
	}
	var rec struct{ Level, Msg, Detail string }
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatalf("line is not JSON: %v: %q", err, lines[0])
	}
	if rec.Level != "WARN" || rec.Msg != "redis client" {
		t.Errorf("got level %q msg %q, want WARN \"redis client\"", rec.Level, rec.Msg)
	}
	if strings.Contains(rec.Detail, "s3cret") || !strings.Contains(rec.Detail, "redis://[REDACTED]@10.0.0.1") {
		t.Errorf("got detail %q, want the credentials redacted", rec.Detail)
	}
	if !strings.Contains(rec.Detail, "attempts: dial") || strings.Contains(rec.Detail, "\n") {
		t.Errorf("got detail %q, want the message on one line", rec.Detail)
	}
}

func TestPrintfHonoursTheLevel(t *testing.T) {
	var buf bytes.Buffer
	New(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError}))).Printf(context.Background(), "x")
	if buf.Len() != 0 {
		t.Fatalf("got %q at level error, want nothing", buf.String())
	}
}
