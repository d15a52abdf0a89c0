package events

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/mirror"
)

// appendTimeout bounds one Append from the sync loop, which must not
// block for long.
const appendTimeout = 2 * time.Second

// MirrorHook returns the mirror syncer's OnChange for account: each call a
// follow or revisit created or updated is appended to l as call.created or
// call.updated (backfill reports nothing, so emits nothing). emitted, when
// set, is told the type of each event recorded (metrics). A failed append
// is logged and returned: the syncer keeps the change pending and gives it
// again (mirror.SyncerConfig.OnChange), so no event is lost; an append
// whose answer was lost may be recorded twice.
func MirrorHook(l Log, account string, emitted func(Type), logger *slog.Logger) func(mirror.Change, domain.Call) error {
	if logger == nil {
		logger = slog.Default()
	}
	return func(change mirror.Change, call domain.Call) error {
		var typ Type
		switch change {
		case mirror.Created:
			typ = CallCreated
		case mirror.Updated:
			typ = CallUpdated
		default:
			return nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), appendTimeout)
		defer cancel()
		if _, err := l.Append(ctx, account, typ, call); err != nil {
			logger.LogAttrs(ctx, slog.LevelWarn, "events: recording an event failed; it stays pending",
				slog.String("type", string(typ)), slog.String("call_id", call.ID), slog.String("error", err.Error()))
			return fmt.Errorf("events: recording %s: %w", typ, err)
		}
		if emitted != nil {
			emitted(typ)
		}
		return nil
	}
}
