package events

import (
	"context"
	"errors"
	"testing"
	"time"
)

func newTestHub(t *testing.T, l Log, buffer int) *Hub {
	t.Helper()
	h, err := NewHub(HubConfig{Log: l, Buffer: buffer, Block: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("NewHub: %v", err)
	}
	t.Cleanup(h.Close)
	return h
}

func receive(t *testing.T, s *Subscription) Event {
	t.Helper()
	select {
	case e := <-s.Events():
		return e
	case <-s.Done():
		t.Fatalf("subscription ended (%v), want an event", s.Err())
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return Event{}
}

func TestHubFanOut(t *testing.T) {
	ctx := context.Background()

	t.Run("a stalled subscriber is dropped while a reading one gets every event in order", func(t *testing.T) {
		l := NewMemoryLog(nil, 0)
		h := newTestHub(t, l, 4)
		fast, err := h.Subscribe(ctx, "acct")
		if err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		slow, _ := h.Subscribe(ctx, "acct")
		for i := range 20 {
			e, _ := l.Append(ctx, "acct", CallCreated, testCall("c"))
			if got := receive(t, fast); got.ID != e.ID {
				t.Fatalf("event %d: got %s, want %s", i, got.ID, e.ID)
			}
		}
		select {
		case <-slow.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("the stalled subscriber was never dropped")
		}
		if !errors.Is(slow.Err(), ErrTooSlow) {
			t.Fatalf("got %v, want ErrTooSlow", slow.Err())
		}
		if got := len(slow.Events()); got > 4 {
			t.Fatalf("got %d events buffered for the stalled subscriber, want at most 4", got)
		}
	})

	t.Run("a subscriber gets only its account's events", func(t *testing.T) {
		l := NewMemoryLog(nil, 0)
		h := newTestHub(t, l, 8)
		a, _ := h.Subscribe(ctx, "a")
		b, _ := h.Subscribe(ctx, "b")
		l.Append(ctx, "b", CallCreated, testCall("for-b"))
		ea, _ := l.Append(ctx, "a", CallUpdated, testCall("for-a"))
		if got := receive(t, a); got.ID != ea.ID || got.Data.ID != "for-a" {
			t.Fatalf("got %s (%s), want %s (for-a)", got.ID, got.Data.ID, ea.ID)
		}
		if got := receive(t, b); got.Data.ID != "for-b" {
			t.Fatalf("got call %s on b, want for-b", got.Data.ID)
		}
	})

	t.Run("closing the hub ends every subscription and refuses new ones", func(t *testing.T) {
		h := newTestHub(t, NewMemoryLog(nil, 0), 8)
		s, _ := h.Subscribe(ctx, "a")
		h.Close()
		<-s.Done()
		if !errors.Is(s.Err(), ErrClosed) {
			t.Fatalf("got %v, want ErrClosed", s.Err())
		}
		if _, err := h.Subscribe(ctx, "a"); !errors.Is(err, ErrClosed) {
			t.Fatalf("got %v, want ErrClosed", err)
		}
	})

	t.Run("the feed stops with its last subscriber", func(t *testing.T) {
		h := newTestHub(t, NewMemoryLog(nil, 0), 8)
		s1, _ := h.Subscribe(ctx, "a")
		s2, _ := h.Subscribe(ctx, "a")
		s1.Close()
		s2.Close()
		h.mu.Lock()
		n := len(h.feeds)
		h.mu.Unlock()
		if n != 0 || h.Subscribers() != 0 {
			t.Fatalf("got %d feeds, %d subscribers, want none", n, h.Subscribers())
		}
	})
}
