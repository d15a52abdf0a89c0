package events

import (
	"context"
	"errors"
	"testing"
	"time"

	"switchboard/internal/redistest"
)

// queueFixture is one Queue implementation under the suite, with the log
// it reads.
type queueFixture struct {
	log   Log
	queue Queue
}

func TestQueueConformance(t *testing.T) {
	for name, newFixture := range map[string]func(t *testing.T) queueFixture{
		"memory": func(t *testing.T) queueFixture {
			l := NewMemoryLog(nil, 0)
			return queueFixture{log: l, queue: NewMemoryQueue(l)}
		},
		"redis": func(t *testing.T) queueFixture {
			rdb, prefix := redistest.Open(t)
			l := NewRedisLog(rdb, prefix, 0)
			return queueFixture{log: l, queue: NewRedisQueue(rdb, l)}
		},
	} {
		t.Run(name, func(t *testing.T) { runQueueSuite(t, newFixture) })
	}
}

func runQueueSuite(t *testing.T, newFixture func(t *testing.T) queueFixture) {
	ctx := context.Background()

	t.Run("a group receives only the events recorded after it joined, each handed out once", func(t *testing.T) {
		f := newFixture(t)
		appendN(t, f.log, "acct", 2)
		if err := f.queue.Join(ctx, "acct", "g"); err != nil {
			t.Fatal(err)
		}
		want := appendN(t, f.log, "acct", 3)
		got, err := f.queue.ReadNew(ctx, "acct", "g", "r1", 10, time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if ids := idsOf(got); len(ids) != 3 || ids[0] != want[0].ID || ids[2] != want[2].ID {
			t.Fatalf("got %v, want %v", ids, idsOf(want))
		}
		again, err := f.queue.ReadNew(ctx, "acct", "g", "r2", 10, time.Millisecond)
		if err != nil || len(again) != 0 {
			t.Fatalf("second read: got %v (%v), want nothing: each event is handed out once", idsOf(again), err)
		}
		if n, err := f.queue.Backlog(ctx, "acct", "g"); err != nil || n != 3 {
			t.Fatalf("backlog: got %d (%v), want 3 pending", n, err)
		}
	})

	t.Run("dropping a group gives up its pending and unread events and counts them", func(t *testing.T) {
		f := newFixture(t)
		if err := f.queue.Join(ctx, "acct", "g"); err != nil {
			t.Fatal(err)
		}
		appendN(t, f.log, "acct", 5)
		if got, err := f.queue.ReadNew(ctx, "acct", "g", "r1", 2, time.Millisecond); err != nil || len(got) != 2 {
			t.Fatalf("ReadNew: got %d (%v), want 2", len(got), err)
		}
		_ = f.queue.SaveResult(ctx, "acct", "g", false, Result{At: time.Now(), Status: 500})
		n, err := f.queue.Drop(ctx, "acct", "g")
		if err != nil || n != 5 {
			t.Fatalf("Drop: got %d (%v), want 5: 2 pending and 3 unread", n, err)
		}
		if n, err := f.queue.Drop(ctx, "acct", "g"); err != nil || n != 0 {
			t.Fatalf("second Drop: got %d (%v), want 0: what is given up is counted once", n, err)
		}
		if _, err := f.queue.ReadNew(ctx, "acct", "g", "r1", 10, time.Millisecond); !errors.Is(err, ErrNoGroup) {
			t.Fatalf("ReadNew after Drop: got %v, want ErrNoGroup", err)
		}
		if _, err := f.queue.Pending(ctx, "acct", "g", 10); !errors.Is(err, ErrNoGroup) {
			t.Fatalf("Pending after Drop: got %v, want ErrNoGroup", err)
		}
		if s, fl, err := f.queue.Results(ctx, "acct", "g"); err != nil || !s.At.IsZero() || !fl.At.IsZero() {
			t.Fatalf("Results after Drop: got %+v %+v (%v), want none", s, fl, err)
		}
	})

	t.Run("a group joined again after a drop starts at the end of the log", func(t *testing.T) {
		f := newFixture(t)
		if err := f.queue.Join(ctx, "acct", "g"); err != nil {
			t.Fatal(err)
		}
		appendN(t, f.log, "acct", 3)
		if _, err := f.queue.Drop(ctx, "acct", "g"); err != nil {
			t.Fatal(err)
		}
		if err := f.queue.Join(ctx, "acct", "g"); err != nil {
			t.Fatal(err)
		}
		want := appendN(t, f.log, "acct", 1)
		got, err := f.queue.ReadNew(ctx, "acct", "g", "r1", 10, time.Millisecond)
		if err != nil || len(got) != 1 || got[0].ID != want[0].ID {
			t.Fatalf("got %v (%v), want only %s", idsOf(got), err, want[0].ID)
		}
	})

	t.Run("dropping a group leaves the other groups of the account alone", func(t *testing.T) {
		f := newFixture(t)
		for _, g := range []string{"g1", "g2"} {
			if err := f.queue.Join(ctx, "acct", g); err != nil {
				t.Fatal(err)
			}
		}
		appendN(t, f.log, "acct", 2)
		if _, err := f.queue.Drop(ctx, "acct", "g1"); err != nil {
			t.Fatal(err)
		}
		if n, err := f.queue.Backlog(ctx, "acct", "g2"); err != nil || n != 2 {
			t.Fatalf("g2's backlog: got %d (%v), want 2", n, err)
		}
	})

	t.Run("keeping an event restarts its idle time only while no other consumer claimed it since", func(t *testing.T) {
		f := newFixture(t)
		if err := f.queue.Join(ctx, "acct", "g"); err != nil {
			t.Fatal(err)
		}
		evs := appendN(t, f.log, "acct", 2)
		if _, err := f.queue.ReadNew(ctx, "acct", "g", "r1", 10, time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if ok, err := f.queue.Keep(ctx, "acct", "g", "r1", evs[0].ID, 0); err != nil || !ok {
			t.Fatalf("keep of an event just read: got %v (%v), want kept", ok, err)
		}
		if ok, err := f.queue.Keep(ctx, "acct", "g", "r1", evs[1].ID, time.Hour); err != nil || ok {
			t.Fatalf("keep of an event idle less than asked: got %v (%v), want not kept", ok, err)
		}
		if _, ok, err := f.queue.Claim(ctx, "acct", "g", "r2", evs[1].ID, 0); err != nil || !ok {
			t.Fatalf("claim by r2: got %v (%v)", ok, err)
		}
		if ok, err := f.queue.Keep(ctx, "acct", "g", "r1", evs[1].ID, time.Hour); err != nil || ok {
			t.Fatalf("keep by r1 of the event r2 claimed: got %v (%v), want not kept", ok, err)
		}
		pending, err := f.queue.Pending(ctx, "acct", "g", 10)
		if err != nil || len(pending) != 2 {
			t.Fatalf("pending: got %v (%v)", pending, err)
		}
		for _, p := range pending {
			want := map[string]string{evs[0].ID: "r1", evs[1].ID: "r2"}[p.ID]
			wantDeliveries := map[string]int64{evs[0].ID: 1, evs[1].ID: 2}[p.ID]
			if p.Consumer != want || p.Deliveries != wantDeliveries {
				t.Errorf("%s: held by %s after %d deliveries, want %s after %d (keeping counts none)", p.ID, p.Consumer, p.Deliveries, want, wantDeliveries)
			}
		}
		if err := f.queue.Ack(ctx, "acct", "g", evs[0].ID); err != nil {
			t.Fatal(err)
		}
		if ok, err := f.queue.Keep(ctx, "acct", "g", "r1", evs[0].ID, 0); err != nil || ok {
			t.Fatalf("keep of an acknowledged event: got %v (%v), want not kept", ok, err)
		}
	})

	t.Run("dropping a group never joined, on an account without events, counts nothing", func(t *testing.T) {
		f := newFixture(t)
		if n, err := f.queue.Drop(ctx, "nobody", "g"); err != nil || n != 0 {
			t.Fatalf("got %d (%v), want 0", n, err)
		}
	})
}
