package events

import (
	"context"
	"sort"
	"sync"
	"time"
)

// MemoryQueue is the Queue of a single replica on a MemoryLog, with the
// consumer-group rules of Redis Streams: each event handed out once as
// new, pending until acknowledged, claimed by idle time.
type MemoryQueue struct {
	log *MemoryLog

	mu     sync.Mutex
	groups map[[2]string]*memoryGroup // by account, group
}

type memoryGroup struct {
	last    string // the newest event handed out
	pending map[string]*memoryPending
	success Result
	failure Result
}

type memoryPending struct {
	consumer   string
	since      time.Time
	deliveries int64
}

// NewMemoryQueue returns the queue on log, timed by log's clock.
func NewMemoryQueue(log *MemoryLog) *MemoryQueue {
	return &MemoryQueue{log: log, groups: make(map[[2]string]*memoryGroup)}
}

// group returns the group, or nil; q.mu must be held.
func (q *MemoryQueue) group(account, group string) *memoryGroup {
	return q.groups[[2]string{account, group}]
}

// Join implements Queue.
func (q *MemoryQueue) Join(ctx context.Context, account, group string) error {
	last, err := q.log.Last(ctx, account)
	if err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.group(account, group) == nil {
		q.groups[[2]string{account, group}] = &memoryGroup{last: last, pending: make(map[string]*memoryPending)}
	}
	return nil
}

// ReadNew implements Queue.
func (q *MemoryQueue) ReadNew(ctx context.Context, account, group, consumer string, limit int, block time.Duration) ([]Event, error) {
	q.mu.Lock()
	g := q.group(account, group)
	if g == nil {
		q.mu.Unlock()
		return nil, ErrNoGroup
	}
	last := g.last
	q.mu.Unlock()
	events, err := q.log.Wait(ctx, account, last, limit, block)
	if err != nil {
		return nil, err
	}
	now := q.log.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	out := events[:0]
	for _, e := range events {
		if !Before(g.last, e.ID) {
			continue // handed to another consumer meanwhile
		}
		g.last = e.ID
		g.pending[e.ID] = &memoryPending{consumer: consumer, since: now, deliveries: 1}
		out = append(out, e)
	}
	return out, nil
}

// Pending implements Queue.
func (q *MemoryQueue) Pending(ctx context.Context, account, group string, limit int) ([]Pending, error) {
	now := q.log.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	g := q.group(account, group)
	if g == nil {
		return nil, ErrNoGroup
	}
	out := make([]Pending, 0, len(g.pending))
	for id, p := range g.pending {
		out = append(out, Pending{ID: id, Consumer: p.consumer, Idle: now.Sub(p.since), Deliveries: p.deliveries})
	}
	sort.Slice(out, func(i, j int) bool { return Before(out[i].ID, out[j].ID) })
	return out[:min(len(out), max(limit, 0))], nil
}

// Claim implements Queue.
func (q *MemoryQueue) Claim(ctx context.Context, account, group, consumer, id string, minIdle time.Duration) (Event, bool, error) {
	e, kept := q.log.get(account, id)
	now := q.log.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	g := q.group(account, group)
	if g == nil {
		return Event{}, false, ErrNoGroup
	}
	p, ok := g.pending[id]
	if !ok || now.Sub(p.since) < minIdle {
		return Event{}, false, nil
	}
	if !kept {
		delete(g.pending, id)
		return Event{}, false, nil
	}
	p.consumer, p.since = consumer, now
	p.deliveries++
	return e, true, nil
}

// Keep implements Queue.
func (q *MemoryQueue) Keep(ctx context.Context, account, group, consumer, id string, minIdle time.Duration) (bool, error) {
	now := q.log.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	g := q.group(account, group)
	if g == nil {
		return false, nil
	}
	p, ok := g.pending[id]
	if !ok || now.Sub(p.since) < minIdle {
		return false, nil
	}
	p.consumer, p.since = consumer, now
	return true, nil
}

// Ack implements Queue.
func (q *MemoryQueue) Ack(ctx context.Context, account, group, id string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if g := q.group(account, group); g != nil {
		delete(g.pending, id)
	}
	return nil
}

// Backlog implements Queue.
func (q *MemoryQueue) Backlog(ctx context.Context, account, group string) (int64, error) {
	q.mu.Lock()
	g := q.group(account, group)
	if g == nil {
		q.mu.Unlock()
		return 0, nil
	}
	last, n := g.last, int64(len(g.pending))
	q.mu.Unlock()
	unread, err := q.log.Read(ctx, account, last, 1<<30)
	return n + int64(len(unread)), err
}

// SaveResult implements Queue.
func (q *MemoryQueue) SaveResult(ctx context.Context, account, group string, ok bool, r Result) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if g := q.group(account, group); g != nil {
		if ok {
			g.success = r
		} else {
			g.failure = r
		}
	}
	return nil
}

// Results implements Queue.
func (q *MemoryQueue) Results(ctx context.Context, account, group string) (Result, Result, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if g := q.group(account, group); g != nil {
		return g.success, g.failure, nil
	}
	return Result{}, Result{}, nil
}

// Drop implements Queue.
func (q *MemoryQueue) Drop(ctx context.Context, account, group string) (int64, error) {
	q.mu.Lock()
	key := [2]string{account, group}
	g := q.groups[key]
	if g == nil {
		q.mu.Unlock()
		return 0, nil
	}
	delete(q.groups, key)
	last, n := g.last, int64(len(g.pending))
	q.mu.Unlock()
	unread, err := q.log.Read(ctx, account, last, 1<<30)
	return n + int64(len(unread)), err
}
