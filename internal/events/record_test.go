package events

import (
	"context"
	"testing"

	"switchboard/internal/mirror"
)

func TestMirrorHookRecordsCreatedAndUpdatedCalls(t *testing.T) {
	l := NewMemoryLog(nil, 0)
	var emitted []Type
	hook := MirrorHook(l, "acct", func(typ Type) { emitted = append(emitted, typ) }, nil)
	hook(mirror.Created, testCall("1"))
	hook(mirror.Unchanged, testCall("2"))
	hook(mirror.Updated, testCall("1"))
	got, _ := l.Read(context.Background(), "acct", "", 10)
	if len(got) != 2 || got[0].Type != CallCreated || got[1].Type != CallUpdated || got[1].Data.ID != "1" {
		t.Fatalf("got %+v, want call.created then call.updated of call 1", got)
	}
	if len(emitted) != 2 {
		t.Fatalf("got %d emitted, want 2", len(emitted))
	}
}
