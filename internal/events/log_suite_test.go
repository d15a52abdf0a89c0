package events

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"switchboard/internal/clocktest"
	"switchboard/internal/domain"
	"switchboard/internal/redistest"
)

// logFixture is one implementation under the suite: the log, and a way
// to let its clock move past d (the memory clock moves at once; Redis's
// clock moves on its own, so the suite polls for what follows from it).
type logFixture struct {
	log     Log
	advance func(d time.Duration)
}

func newMemoryFixture(t *testing.T, keep time.Duration) logFixture {
	clock := clocktest.At(time.Now())
	return logFixture{log: NewMemoryLog(clock.Now, keep), advance: clock.Advance}
}

func newRedisFixture(t *testing.T, keep time.Duration) logFixture {
	rdb, prefix := redistest.Open(t)
	return logFixture{log: NewRedisLog(rdb, prefix, keep), advance: func(time.Duration) {}}
}

func TestLogConformance(t *testing.T) {
	for name, newFixture := range map[string]func(*testing.T, time.Duration) logFixture{
		"memory": newMemoryFixture,
		"redis":  newRedisFixture,
	} {
		t.Run(name, func(t *testing.T) { runLogSuite(t, newFixture) })
	}
}

func testCall(id string) domain.Call {
	status := "completed"
	return domain.Call{ID: id, Source: domain.SourcePhonewagon, Status: &status}
}

func appendN(t *testing.T, l Log, account string, n int) []Event {
	t.Helper()
	out := make([]Event, 0, n)
	for i := range n {
		e, err := l.Append(context.Background(), account, CallCreated, testCall(fmt.Sprint(i)))
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		out = append(out, e)
	}
	return out
}

func idsOf(events []Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func assertIncreasing(t *testing.T, events []Event) {
	t.Helper()
	for i := 1; i < len(events); i++ {
		if !Before(events[i-1].ID, events[i].ID) {
			t.Fatalf("id %d is %s after %s, want increasing ids", i, events[i].ID, events[i-1].ID)
		}
	}
}

func runLogSuite(t *testing.T, newFixture func(*testing.T, time.Duration) logFixture) {
	ctx := context.Background()

	t.Run("a burst within one millisecond gets increasing ids, read back in order with the call", func(t *testing.T) {
		f := newFixture(t, 0)
		appended := appendN(t, f.log, "acct", 50)
		assertIncreasing(t, appended)
		got, err := f.log.Read(ctx, "acct", "", 100)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if fmt.Sprint(idsOf(got)) != fmt.Sprint(idsOf(appended)) {
			t.Fatalf("got ids %v, want %v", idsOf(got), idsOf(appended))
		}
		want, _ := json.Marshal(appended[7])
		have, _ := json.Marshal(got[7])
		if string(have) != string(want) {
			t.Fatalf("got event %s, want %s", have, want)
		}
		if got[7].Type != CallCreated || got[7].Data.ID != "7" {
			t.Fatalf("got type %q call %q, want call.created of call 7", got[7].Type, got[7].Data.ID)
		}
	})

	t.Run("concurrent appends get distinct ids and read back increasing", func(t *testing.T) {
		f := newFixture(t, 0)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() { appendN(t, f.log, "acct", 10) })
		}
		wg.Wait()
		got, err := f.log.Read(ctx, "acct", "", 1000)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if len(got) != 80 {
			t.Fatalf("got %d events, want 80", len(got))
		}
		assertIncreasing(t, got)
	})

	t.Run("reading after an id returns only later events, at most limit of them", func(t *testing.T) {
		f := newFixture(t, 0)
		appended := appendN(t, f.log, "acct", 10)
		got, err := f.log.Read(ctx, "acct", appended[3].ID, 4)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if want := idsOf(appended[4:8]); fmt.Sprint(idsOf(got)) != fmt.Sprint(want) {
			t.Fatalf("got ids %v, want %v", idsOf(got), want)
		}
		last, err := f.log.Last(ctx, "acct")
		if err != nil || last != appended[9].ID {
			t.Fatalf("got last %q (%v), want %q", last, err, appended[9].ID)
		}
		if got, _ := f.log.Read(ctx, "acct", last, 10); len(got) != 0 {
			t.Fatalf("got %d events after the last, want none", len(got))
		}
	})

	t.Run("an empty log's last id reads every later event", func(t *testing.T) {
		f := newFixture(t, 0)
		last, err := f.log.Last(ctx, "acct")
		if err != nil {
			t.Fatalf("Last: %v", err)
		}
		appended := appendN(t, f.log, "acct", 2)
		got, err := f.log.Read(ctx, "acct", last, 10)
		if err != nil || len(got) != 2 || got[0].ID != appended[0].ID {
			t.Fatalf("got %v (%v), want both events", idsOf(got), err)
		}
	})

	t.Run("an id that is not an event id is refused", func(t *testing.T) {
		f := newFixture(t, 0)
		for _, bad := range []string{"x", "12", "1-x", "-1-0", "+1-0"} {
			if _, err := f.log.Read(ctx, "acct", bad, 10); err == nil {
				t.Errorf("Read after %q: got no error, want one", bad)
			}
		}
	})

	t.Run("events older than the keep window are trimmed, and an id older than the oldest kept reads from it", func(t *testing.T) {
		const keep = 300 * time.Millisecond
		f := newFixture(t, keep)
		// More than one Redis stream node (100 entries), since MINID ~
		// drops whole nodes only.
		old := appendN(t, f.log, "acct", 250)
		f.advance(keep + time.Second)
		var fresh Event
		clocktest.Eventually(t, 10*time.Second, "the oldest events trimmed", func() bool {
			var err error
			if fresh, err = f.log.Append(ctx, "acct", CallUpdated, testCall("new")); err != nil {
				t.Fatalf("Append: %v", err)
			}
			first, err := f.log.Read(ctx, "acct", "", 1)
			return err == nil && len(first) == 1 && first[0].ID != old[0].ID
		})
		kept, err := f.log.Read(ctx, "acct", "", 10000)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		assertIncreasing(t, kept)
		oldKept := 0
		for _, e := range kept {
			if !Before(old[len(old)-1].ID, e.ID) {
				oldKept++
			}
		}
		if oldKept >= len(old) || kept[len(kept)-1].ID != fresh.ID {
			t.Fatalf("got %d of %d old events kept, newest %s, want fewer, newest %s", oldKept, len(old), kept[len(kept)-1].ID, fresh.ID)
		}
		fromTrimmed, err := f.log.Read(ctx, "acct", old[0].ID, 1)
		if err != nil || len(fromTrimmed) != 1 || fromTrimmed[0].ID != kept[0].ID {
			t.Fatalf("got %v (%v) after a trimmed id, want the oldest kept %s", idsOf(fromTrimmed), err, kept[0].ID)
		}
	})

	t.Run("wait returns at once what is there, wakes on an append, and gives up after the block", func(t *testing.T) {
		f := newFixture(t, 0)
		appended := appendN(t, f.log, "acct", 1)
		got, err := f.log.Wait(ctx, "acct", "", 10, time.Minute)
		if err != nil || len(got) != 1 {
			t.Fatalf("got %v (%v), want the one event at once", idsOf(got), err)
		}
		if got, err := f.log.Wait(ctx, "acct", appended[0].ID, 10, 20*time.Millisecond); err != nil || len(got) != 0 {
			t.Fatalf("got %v (%v) after the block, want nothing", idsOf(got), err)
		}
		woke := make(chan []Event, 1)
		go func() {
			got, _ := f.log.Wait(ctx, "acct", appended[0].ID, 10, time.Minute)
			woke <- got
		}()
		second := appendN(t, f.log, "acct", 1)
		select {
		case got := <-woke:
			if len(got) != 1 || got[0].ID != second[0].ID {
				t.Fatalf("got %v, want %s", idsOf(got), second[0].ID)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("wait did not wake on the append")
		}
	})

	t.Run("accounts never see each other's events, even with braces in their names", func(t *testing.T) {
		f := newFixture(t, 0)
		appendN(t, f.log, "a{x}", 3)
		appendN(t, f.log, "b{x}", 1)
		for account, want := range map[string]int{"a{x}": 3, "b{x}": 1, "c": 0} {
			got, err := f.log.Read(ctx, account, "", 100)
			if err != nil || len(got) != want {
				t.Errorf("account %s: got %d events (%v), want %d", account, len(got), err, want)
			}
		}
	})
}
