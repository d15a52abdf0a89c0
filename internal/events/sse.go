package events

import (
	"encoding/json"
	"fmt"
)

// SSE returns the event as a server-sent event: "id:", "event:" (the
// type) and one "data:" line of the event's JSON (JSON escapes every
// newline), then a blank line. The hub encodes each event once for all of
// its subscribers; other events are encoded here.
func (e Event) SSE() ([]byte, error) {
	if e.frame != nil {
		return e.frame, nil
	}
	data, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("events: encode event %s: %w", e.ID, err)
	}
	return fmt.Appendf(nil, "id: %s\nevent: %s\ndata: %s\n\n", e.ID, e.Type, data), nil
}

// withFrame returns e carrying its encoded SSE frame, shared read-only by
// every subscriber it is handed to.
func (e Event) withFrame() Event {
	if f, err := e.SSE(); err == nil {
		e.frame = f
	}
	return e
}
