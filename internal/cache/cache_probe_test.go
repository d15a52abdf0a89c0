package cache_test

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"switchboard/internal/cache"
)

// errBackend is what a failing probeBackend returns.
var errBackend = errors.New("backend unreachable")

// probeBackend wraps a Backend to observe and disturb it.
type probeBackend struct {
	inner cache.Backend
	// failing makes every call fail with errBackend without reaching inner.
	failing atomic.Bool
	// noLocks makes every TryLock succeed: a backend that cannot exclude,
	// so only in-process coalescing can keep fills to one.
	noLocks bool
	// calls counts every call that reached the probe.
	calls atomic.Int64
	// onMiss, when set, is called after every Get that found nothing, with
	// the number of misses so far.
	onMiss func(n int64)
	misses atomic.Int64
	// onLockLost, when set, is called after every TryLock that lost.
	onLockLost func()
}

func (p *probeBackend) Get(ctx context.Context, key string) (cache.Entry, bool, error) {
	p.calls.Add(1)
	if p.failing.Load() {
		return cache.Entry{}, false, errBackend
	}
	e, ok, err := p.inner.Get(ctx, key)
	if err == nil && !ok {
		n := p.misses.Add(1)
		if p.onMiss != nil {
			p.onMiss(n)
		}
	}
	return e, ok, err
}

func (p *probeBackend) Set(ctx context.Context, key string, e cache.Entry, keep time.Duration) error {
	p.calls.Add(1)
	if p.failing.Load() {
		return errBackend
	}
	return p.inner.Set(ctx, key, e, keep)
}

func (p *probeBackend) TryLock(ctx context.Context, key string, ttl time.Duration) (string, bool, error) {
	p.calls.Add(1)
	if p.failing.Load() {
		return "", false, errBackend
	}
	if p.noLocks {
		return "no-lock", true, nil
	}
	token, ok, err := p.inner.TryLock(ctx, key, ttl)
	if err == nil && !ok && p.onLockLost != nil {
		p.onLockLost()
	}
	return token, ok, err
}

func (p *probeBackend) Unlock(ctx context.Context, key, token string) error {
	p.calls.Add(1)
	if p.failing.Load() {
		return errBackend
	}
	if p.noLocks {
		return nil
	}
	return p.inner.Unlock(ctx, key, token)
}

// hangingBackend never answers before its context is done, like a Redis
// behind a dropped network.
type hangingBackend struct{}

func (hangingBackend) Get(ctx context.Context, _ string) (cache.Entry, bool, error) {
	<-ctx.Done()
	return cache.Entry{}, false, ctx.Err()
}

func (hangingBackend) Set(ctx context.Context, _ string, _ cache.Entry, _ time.Duration) error {
	<-ctx.Done()
	return ctx.Err()
}

func (hangingBackend) TryLock(ctx context.Context, _ string, _ time.Duration) (string, bool, error) {
	<-ctx.Done()
	return "", false, ctx.Err()
}

func (hangingBackend) Unlock(ctx context.Context, _, _ string) error {
	<-ctx.Done()
	return ctx.Err()
}

// filler is a fill function that counts its calls and answers body, or err
// when set.
type filler struct {
	calls    atomic.Int64
	body     atomic.Value // string
	err      atomic.Value // error wrapper
	freshFor time.Duration
	// gate, when set, is waited on (or ctx) before answering.
	gate <-chan struct{}
	// started, when set, is closed by the first call.
	started chan struct{}
}

type fillErr struct{ err error }

func newFiller(body string, freshFor time.Duration) *filler {
	f := &filler{freshFor: freshFor}
	f.body.Store(body)
	f.err.Store(fillErr{})
	return f
}

func (f *filler) failWith(err error) { f.err.Store(fillErr{err}) }
func (f *filler) answer(body string) { f.body.Store(body); f.err.Store(fillErr{}) }

func (f *filler) fill(ctx context.Context) (cache.Entry, error) {
	if f.calls.Add(1) == 1 && f.started != nil {
		close(f.started)
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return cache.Entry{}, ctx.Err()
		}
	}
	if err := f.err.Load().(fillErr).err; err != nil {
		return cache.Entry{}, err
	}
	return cache.Entry{
		Body:     []byte(f.body.Load().(string)),
		Header:   map[string]string{"X-Next-Cursor": "c1"},
		FreshFor: f.freshFor,
	}, nil
}
