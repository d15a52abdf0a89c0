package events

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// ErrTooSlow ends a subscription whose reader fell more than its buffer
// behind: it resumes by the last id it received instead of holding
// memory, or the feed, back.
var ErrTooSlow = errors.New("events: the subscriber fell too far behind")

// ErrClosed ends every subscription when the hub closes (shutdown).
var ErrClosed = errors.New("events: the event hub is closed")

// Defaults of HubConfig.
const (
	DefaultBlock   = 5 * time.Second
	DefaultBuffer  = 256
	DefaultReplays = 4
)

// HubConfig configures a Hub. Zero fields mean the defaults.
type HubConfig struct {
	// Log is read by the hub. Required.
	Log Log
	// Block bounds each wait for new events (XREAD BLOCK): a feed with no
	// subscriber left stops within it. Default DefaultBlock.
	Block time.Duration
	// Buffer is how many events a subscriber may lag behind before it is
	// dropped with ErrTooSlow. Default DefaultBuffer.
	Buffer int
	// Replays bounds the replay reads (Read) running at once: a storm of
	// resuming streams waits its turn instead of taking every connection
	// of the log's client from the feeds of live events. Default
	// DefaultReplays.
	Replays int
	// RetryEvery is the pause after a failed read of the log; default 1 s.
	RetryEvery time.Duration
	// Logger receives read failures; default slog.Default().
	Logger *slog.Logger
}

// Hub fans an account's new events out to its subscribers: one reader of
// the log per account per replica, however many streams are open, each
// subscriber with a bounded buffer that the reader never waits on. It is
// safe for concurrent use.
type Hub struct {
	cfg HubConfig

	replays chan struct{} // a slot per replay read running

	mu     sync.Mutex
	feeds  map[string]*feed
	closed bool
}

// feed is one account's reader and its subscribers.
type feed struct {
	subs   map[*Subscription]struct{}
	cancel context.CancelFunc
}

// Subscription receives an account's events recorded after it was made
// (and possibly a few before: dedupe by id).
type Subscription struct {
	hub     *Hub
	account string
	ch      chan Event
	done    chan struct{}
	once    sync.Once
	err     error
}

// NewHub validates cfg and returns a hub with no feed running.
func NewHub(cfg HubConfig) (*Hub, error) {
	if cfg.Log == nil {
		return nil, errors.New("events: hub: Log is required")
	}
	if cfg.Block <= 0 {
		cfg.Block = DefaultBlock
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = DefaultBuffer
	}
	if cfg.Replays <= 0 {
		cfg.Replays = DefaultReplays
	}
	if cfg.RetryEvery <= 0 {
		cfg.RetryEvery = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Hub{cfg: cfg, replays: make(chan struct{}, cfg.Replays), feeds: make(map[string]*feed)}, nil
}

// Read reads the log (a replay before the live events), waiting for one
// of the Replays slots.
func (h *Hub) Read(ctx context.Context, account, afterID string, limit int) ([]Event, error) {
	select {
	case h.replays <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-h.replays }()
	return h.cfg.Log.Read(ctx, account, afterID, limit)
}

// Subscribe starts receiving account's events. The first subscriber of an
// account starts its feed from the newest event kept, read before
// Subscribe returns, so that a replay read after Subscribe leaves no gap
// before the live events. That read is made without holding the hub: a
// slow answer for one account holds up no other.
func (h *Hub) Subscribe(ctx context.Context, account string) (*Subscription, error) {
	s := &Subscription{hub: h, account: account, ch: make(chan Event, h.cfg.Buffer), done: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	for {
		if h.closed {
			return nil, ErrClosed
		}
		if f, ok := h.feeds[account]; ok {
			f.subs[s] = struct{}{}
			return s, nil
		}
		h.mu.Unlock()
		last, err := h.cfg.Log.Last(ctx, account)
		h.mu.Lock()
		if err != nil {
			return nil, err
		}
		if h.closed || h.feeds[account] != nil {
			continue // closed, or another subscriber started the feed meanwhile
		}
		fctx, cancel := context.WithCancel(context.Background())
		f := &feed{subs: map[*Subscription]struct{}{s: {}}, cancel: cancel}
		h.feeds[account] = f
		go h.run(fctx, account, f, last)
		return s, nil
	}
}

// Subscribers returns how many subscriptions are open on this replica.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, f := range h.feeds {
		n += len(f.subs)
	}
	return n
}

// Close ends every subscription with ErrClosed and stops every feed;
// later subscriptions are refused. Register it with the server's
// shutdown, so that open streams end and do not hold shutdown up.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for account, f := range h.feeds {
		for s := range f.subs {
			s.end(ErrClosed)
		}
		f.cancel()
		delete(h.feeds, account)
	}
}

// run reads account's new events until ctx ends and hands each to every
// subscriber without waiting on any.
func (h *Hub) run(ctx context.Context, account string, f *feed, last string) {
	for ctx.Err() == nil {
		events, err := h.cfg.Log.Wait(ctx, account, last, h.cfg.Buffer, h.cfg.Block)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			h.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "events: reading the log failed; retrying",
				slog.String("error", err.Error()))
			select {
			case <-ctx.Done():
			case <-time.After(h.cfg.RetryEvery):
			}
			continue
		}
		if len(events) == 0 {
			continue
		}
		last = events[len(events)-1].ID
		for i := range events {
			events[i] = events[i].withFrame() // once, not once per subscriber
		}
		h.mu.Lock()
		for s := range f.subs {
			for _, e := range events {
				select {
				case s.ch <- e:
					continue
				default:
				}
				delete(f.subs, s)
				s.end(ErrTooSlow)
				break
			}
		}
		if len(f.subs) == 0 && h.feeds[account] == f {
			// Every subscriber was dropped: stop, as Close does for the last.
			f.cancel()
			delete(h.feeds, account)
		}
		h.mu.Unlock()
	}
}

// Events delivers the live events, in order.
func (s *Subscription) Events() <-chan Event { return s.ch }

// Done is closed when the subscription ends: dropped (ErrTooSlow), the
// hub closed (ErrClosed), or Close called.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Err says why Done was closed; nil before, or after Close.
func (s *Subscription) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Close ends the subscription; the account's feed stops with its last
// subscriber.
func (s *Subscription) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if f, ok := h.feeds[s.account]; ok {
		if _, mine := f.subs[s]; mine {
			delete(f.subs, s)
			if len(f.subs) == 0 {
				f.cancel()
				delete(h.feeds, s.account)
			}
		}
	}
	s.end(nil)
}

// end closes done once with err; hub.mu is held.
func (s *Subscription) end(err error) {
	s.once.Do(func() {
		s.err = err
		close(s.done)
	})
}
