package events

import (
	"context"
	"errors"
	"testing"

	"switchboard/internal/domain"
	"switchboard/internal/mirror"
)

func TestMirrorHookRecordsCreatedAndUpdatedCalls(t *testing.T) {
	l := NewMemoryLog(nil, 0)
	var emitted []Type
	hook := MirrorHook(l, "acct", func(typ Type) { emitted = append(emitted, typ) }, nil)
	for _, c := range []struct {
		change mirror.Change
		id     string
	}{{mirror.Created, "1"}, {mirror.Unchanged, "2"}, {mirror.Updated, "1"}} {
		if err := hook(c.change, testCall(c.id)); err != nil {
			t.Fatalf("hook(%v, %s): %v", c.change, c.id, err)
		}
	}
	got, _ := l.Read(context.Background(), "acct", "", 10)
	if len(got) != 2 || got[0].Type != CallCreated || got[1].Type != CallUpdated || got[1].Data.ID != "1" {
		t.Fatalf("got %+v, want call.created then call.updated of call 1", got)
	}
	if len(emitted) != 2 {
		t.Fatalf("got %d emitted, want 2", len(emitted))
	}
}

// refusingLog is a Log whose appends fail.
type refusingLog struct{ Log }

var errRefused = errors.New("log unavailable")

func (refusingLog) Append(context.Context, string, Type, domain.Call) (Event, error) {
	return Event{}, errRefused
}

func TestMirrorHookReturnsAFailedAppend(t *testing.T) {
	emitted := 0
	hook := MirrorHook(refusingLog{NewMemoryLog(nil, 0)}, "acct", func(Type) { emitted++ }, nil)
	if err := hook(mirror.Created, testCall("1")); !errors.Is(err, errRefused) {
		t.Errorf("hook with a failing log: got %v, want the append's error (the syncer keeps the change pending on it)", err)
	}
	if emitted != 0 {
		t.Errorf("a failed append was counted as emitted %d times", emitted)
	}
	if err := hook(mirror.Unchanged, testCall("1")); err != nil {
		t.Errorf("an unchanged call records nothing and cannot fail: got %v", err)
	}
}
