package ratelimit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/httprate"
	"github.com/redis/go-redis/v9"

	"switchboard/internal/storehealth"
)

// DefaultLimitPrefix starts every key of a RedisLimitCounter built with an
// empty prefix.
const DefaultLimitPrefix = "switchboard:inbound:"

// Defaults of the zero RedisCounterConfig fields.
const (
	// DefaultExchangeInterval is how often a RedisLimitCounter exchanges
	// its counts with Redis.
	DefaultExchangeInterval = 50 * time.Millisecond
	// DefaultMaxUnsynced is how many requests per key a RedisLimitCounter
	// admits before Redis has confirmed them, at least.
	DefaultMaxUnsynced = 32
)

// UnsyncedShare is the share of its limit, 1/UnsyncedShare, that a key may
// have unconfirmed when that is more than MaxUnsynced: a large limit needs
// room for the requests of one exchange round trip, and its slack stays
// the same share of it.
const UnsyncedShare = 64

// closeTimeout bounds the last exchange of Close.
const closeTimeout = storehealth.DefaultTimeout

// refreshFor is how long after a request last asked about a count the
// exchanges keep reading it back, so that a tenant's next request on this
// replica finds the others' requests already counted.
const refreshFor = time.Second

// defaultCounterWindow sets the key expiry until httprate calls Config.
const defaultCounterWindow = time.Minute

// errNotInSync is what a RedisLimitCounter's Get answers while its store is
// down: its counts are this replica's and the others' as last seen, and
// the others' may have moved on.
var errNotInSync = errors.New("ratelimit: inbound count not in sync: shared store unavailable")

// RedisCounterConfig configures a RedisLimitCounter. Zero fields mean the
// documented default.
type RedisCounterConfig struct {
	// Redis keeps the counts. Required.
	Redis redis.Cmdable
	// Prefix starts every key. Default DefaultLimitPrefix.
	Prefix string
	// Interval is the time between two exchanges with Redis. Default
	// DefaultExchangeInterval.
	Interval time.Duration
	// MaxUnsynced is how many requests per key the counter lets through
	// before Redis has confirmed them, at least: a key whose limit is
	// larger than UnsyncedShare × MaxUnsynced may have limit/UnsyncedShare
	// (S in the bound below). Default DefaultMaxUnsynced.
	MaxUnsynced int
	// Health decides whether an exchange goes to Redis, and bounds it;
	// share it with the other users of the same client. Default one of the
	// counter's own. A FallbackLimitCounter replaces it with its own.
	Health *storehealth.Health
	// OnError, when set, is told every failed exchange. A
	// FallbackLimitCounter replaces it with its OnSharedError.
	OnError func(err error)
}

// RedisLimitCounter is an httprate.LimitCounter kept in Redis, so that every
// replica counts the same requests, without Redis on the request's path. It
// is safe for concurrent use.
//
// # Keys
//
// httprate approximates a sliding window with two fixed ones: it asks for the
// count of the current window and of the one before, and weighs the latter
// by how much of it still overlaps the last windowLength. The counts are
// kept in one key per limiter key and window:
//
//	<prefix>{<key>}:<window start in Unix ms>
//
// The windows of one key share a hash tag, so they stay on one slot of a
// Redis Cluster. A key expires two windows after it was last incremented,
// when it can no longer be anyone's previous window.
//
// # Exchanges
//
// httprate holds one mutex per limiter (per tenant) across its Get and its
// IncrementBy, so a counter that went to Redis in them would make each of a
// tenant's requests wait for the round trips of the one before. This counter
// answers both from memory instead: a count is the key's total as Redis last
// returned it plus this replica's requests not yet added to it. Every
// Interval one background exchange, a single pipelined round trip for every key
// at once, adds this replica's new requests to each key it has counted
// (INCRBY, PEXPIRE) and reads back the total, which brings in the other
// replicas' requests; a key only read (a tenant being refused, or its
// previous window) is read with GET, for a second after a request last
// asked about it. Keys no request asked about for longer are left alone, and
// forgotten once their window is over. The exchange starts early once a key
// has S/2 requests unconfirmed (S below), so a burst does not wait for the
// next tick.
//
// # Slack
//
// A replica admits at most S requests per key that Redis has not confirmed
// yet, S = max(MaxUnsynced, limit/UnsyncedShare) for the key's limit: once
// it has S waiting or in flight, Get answers the key as full (the limit of
// the asking limiter, see PerLimiter) until the next exchange confirms
// them, and the limiter answers 429. So, with R replicas counting in the
// same Redis, within one window the requests admitted for a key exceed
// what one exact shared count would admit by at most
//
//	× S      × max(32, limit/64) with the defaults:
//	               64 for three replicas and a limit up to 2048,
//	               about 3 % of a larger limit
//
// for requests counting one each (httprate's default increment), whatever
// the request rate and however late the exchanges run, as long as they
// succeed: the replica whose exchange reached Redis last counted every
// request the others had confirmed by then, and admitted only while its
// count stayed under the limit; each of the others admitted at most S after
// its own last confirmed one. In terms of time: a replica is never more than one
// exchange, Interval plus a round trip (sooner under a burst), behind the
// others, and never more than S requests per key ahead of Redis. The price
// of the bound: a replica receiving more than S requests of one tenant
// within one exchange round trip refuses the excess, with the usual 429 and
// Retry-After, although the limit may not be reached. With S/2 triggering
// an exchange at once, that takes more than 32 requests of one tenant at
// the same moment on one replica (a limit up to 2048), or its whole limit
// within about 64 round trips. Under an ordinary load a replica has about
// one round trip's requests unconfirmed, so the slack actually used is far
// below the bound.
//
// This is the only inexactness across replicas; the sliding-window estimate
// stays httprate's (the previous window's count weighted by its remaining
// share: a tenant going from idle to a flood can pass nearly twice the limit
// within one 60-second span, about 1.8× measured by make overload).
//
// # Failures
//
// Get and IncrementBy never wait for Redis. An exchange goes through Health:
// a failure is reported to OnError and starts the health's cooldown, during
// which exchanges are skipped (one probes per cooldown), and Get answers an
// error, as httprate's counters do for a store they cannot reach; httprate
// answers that with a 428, so wrap this counter in a FallbackLimitCounter,
// which counts locally instead. The requests of an outage are kept and added
// to Redis by the first exchange that succeeds, so that the other replicas
// see them; they do not count against S.
//
// The exchanges run in a goroutine started by the first use of the counter;
// Close stops it after a last exchange.
type RedisLimitCounter struct {
	rdb         redis.Cmdable
	prefix      string
	interval    time.Duration
	maxUnsynced int64
	// kickAt is the count of unconfirmed requests of one key that starts
	// an exchange before the tick, for a key no limiter read yet.
	kickAt int64

	// window is the longest window length a limiter configured, in ns;
	// 0 until Config is called. limit is the largest limit configured.
	window, limit atomic.Int64
	health        atomic.Pointer[storehealth.Health]
	onError       atomic.Pointer[func(error)]

	// refreshGens is how many exchanges after it was last read a count
	// is still read back from Redis.
	refreshGens uint64

	mu      sync.Mutex
	entries map[entryKey]*entry
	// gen counts the exchanges collected.
	gen uint64

	// exchangeMu serializes exchanges: the loop's, Sync's and Close's.
	exchangeMu sync.Mutex
	start      sync.Once
	kick       chan struct{}
	stop       chan struct{}
	done       chan struct{}
	closed     atomic.Bool
}

// entryKey names one count: a limiter key in the window starting at window
// (Unix ms).
type entryKey struct {
	key    string
	window int64
}

// entry is this replica's knowledge of one count. The count is base +
// pending + inflight + carried + carriedInflight.
type entry struct {
	// base is the total in Redis at the last exchange of this entry.
	base int64
	// pending counts this replica's requests not yet sent to Redis, and
	// inflight those in the exchange under way: together, the requests
	// Redis has not confirmed, which MaxUnsynced bounds.
	pending, inflight int64
	// carried counts the requests of failed exchanges, to be sent by the
	// next one (and carriedInflight those of the exchange under way); they
	// do not count against MaxUnsynced.
	carried, carriedInflight int64
	// readGen is the exchange generation in which a request last read
	// the count, so that the exchanges keep refreshing it for a while.
	readGen uint64
	// kickAt is the count of unconfirmed requests that starts an exchange
	// before the tick, half of S for the limit last asked with; 0 until
	// then.
	kickAt int64
}

func (e *entry) count() int64 {
	return e.base + e.pending + e.inflight + e.carried + e.carriedInflight
}

var _ httprate.LimitCounter = (*RedisLimitCounter)(nil)

// NewRedisLimitCounter returns a counter keeping its counts in rdb under
// prefix (empty means DefaultLimitPrefix), with the default settings.
func NewRedisLimitCounter(rdb redis.Cmdable, prefix string) *RedisLimitCounter {
	return newRedisLimitCounter(RedisCounterConfig{Redis: rdb, Prefix: prefix})
}

// NewRedisLimitCounterWithConfig validates cfg and returns a counter.
func NewRedisLimitCounterWithConfig(cfg RedisCounterConfig) (*RedisLimitCounter, error) {
	switch {
	case cfg.Redis == nil:
		return nil, errors.New("ratelimit: redis counter config: redis: is required")
	case cfg.Interval < 0:
		return nil, errors.New("ratelimit: redis counter config: interval: must not be negative")
	case cfg.MaxUnsynced < 0:
		return nil, errors.New("ratelimit: redis counter config: max_unsynced: must not be negative")
	}
	return newRedisLimitCounter(cfg), nil
}

// newRedisLimitCounter returns a counter for a valid cfg.
func newRedisLimitCounter(cfg RedisCounterConfig) *RedisLimitCounter {
	c := &RedisLimitCounter{
		rdb:         cfg.Redis,
		prefix:      cmp.Or(cfg.Prefix, DefaultLimitPrefix),
		interval:    cmp.Or(cfg.Interval, DefaultExchangeInterval),
		maxUnsynced: int64(cmp.Or(cfg.MaxUnsynced, DefaultMaxUnsynced)),
		entries:     make(map[entryKey]*entry),
		kick:        make(chan struct{}, 1),
		stop:        make(chan struct{}),
		done:        make(chan struct{}),
	}
	c.kickAt = max(1, c.maxUnsynced/2)
	c.refreshGens = uint64(max(1, refreshFor/c.interval))
	h := cfg.Health
	if h == nil {
		// The zero Config is valid.
		h, _ = storehealth.New(storehealth.Config{})
	}
	c.health.Store(h)
	if cfg.OnError != nil {
		c.onError.Store(&cfg.OnError)
	}
	return c
}

// attach makes the counter exchange through h and report to onError.
func (c *RedisLimitCounter) attach(h *storehealth.Health, onError func(error)) {
	c.health.Store(h)
	if onError != nil {
		c.onError.Store(&onError)
	}
}

// Config implements httprate.LimitCounter. httprate calls it once per
// limiter; the counter keeps the longest window it is told of, so that
// limiters with different windows may share it without a key expiring
// early, and the largest limit, which it answers for a full key when the
// limiter did not get its own view (PerLimiter).
func (c *RedisLimitCounter) Config(requestLimit int, windowLength time.Duration) {
	storeMax(&c.window, int64(windowLength))
	storeMax(&c.limit, int64(requestLimit))
}

// storeMax stores v in a if it is larger.
func storeMax(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if v <= cur || a.CompareAndSwap(cur, v) {
			return
		}
	}
}

// Increment implements httprate.LimitCounter.
func (c *RedisLimitCounter) Increment(key string, currentWindow time.Time) error {
	return c.IncrementBy(key, currentWindow, 1)
}

// IncrementBy implements httprate.LimitCounter. It counts in memory; the
// next exchange adds the requests to Redis. It never fails.
func (c *RedisLimitCounter) IncrementBy(key string, currentWindow time.Time, amount int) error {
	c.start.Do(c.run)
	c.mu.Lock()
	e := c.entry(key, currentWindow.UnixMilli())
	e.pending += int64(amount)
	kick := e.pending+e.inflight >= cmp.Or(e.kickAt, c.kickAt)
	c.mu.Unlock()
	if kick {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
	return nil
}

// Get implements httprate.LimitCounter. It answers from memory, and fails
// only while the store is down.
func (c *RedisLimitCounter) Get(key string, currentWindow, previousWindow time.Time) (int, int, error) {
	return c.getLimited(key, currentWindow, previousWindow, 0)
}

// getLimited is Get for a limiter enforcing limit (0: the largest limit
// configured): a key with S requests unconfirmed counts at least limit.
func (c *RedisLimitCounter) getLimited(key string, currentWindow, previousWindow time.Time, limit int) (int, int, error) {
	if !c.health.Load().Up() {
		return 0, 0, errNotInSync
	}
	c.start.Do(c.run)
	if limit <= 0 {
		limit = int(c.limit.Load())
	}
	s := max(c.maxUnsynced, int64(limit)/UnsyncedShare)
	c.mu.Lock()
	ce := c.entry(key, currentWindow.UnixMilli())
	pe := c.entry(key, previousWindow.UnixMilli())
	ce.readGen, pe.readGen = c.gen, c.gen
	ce.kickAt = max(1, s/2)
	curr, prev := ce.count(), pe.count()
	full := ce.pending+ce.inflight >= s
	c.mu.Unlock()
	if full {
		curr = max(curr, int64(limit))
	}
	return int(curr), int(prev), nil
}

// entry returns the entry of key in window, adding it if needed. c.mu must
// be held.
func (c *RedisLimitCounter) entry(key string, window int64) *entry {
	k := entryKey{key: key, window: window}
	e, ok := c.entries[k]
	if !ok {
		e = &entry{}
		c.entries[k] = e
	}
	return e
}

// run starts the exchange loop, unless the counter is closed.
func (c *RedisLimitCounter) run() {
	if c.closed.Load() {
		close(c.done)
		return
	}
	go c.loop()
}

func (c *RedisLimitCounter) loop() {
	defer close(c.done)
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		case <-c.kick:
		}
		_ = c.Sync(context.Background())
	}
}

// Close stops the exchanges after a last one, so that this replica's last
// requests reach Redis; it returns that exchange's error. The counter keeps
// answering from memory after Close.
func (c *RedisLimitCounter) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	c.start.Do(c.run)
	close(c.stop)
	<-c.done
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	return c.Sync(ctx)
}

// pendingCount is one count of an exchange.
type pendingCount struct {
	k     entryKey
	e     *entry
	incr  *redis.IntCmd    // the request's INCRBY, or nil
	get   *redis.StringCmd // the request's GET, or nil
	delta int64
}

// Sync exchanges the counts with Redis now: it adds this replica's requests
// to Redis and reads back the totals of every key asked about since the
// last exchange. The exchange loop calls it every Interval; it fails, with
// the store health's ErrDown, without a round trip while the store cools
// down.
func (c *RedisLimitCounter) Sync(ctx context.Context) error {
	c.exchangeMu.Lock()
	defer c.exchangeMu.Unlock()
	batch := c.collect(time.Now())
	if len(batch) == 0 {
		return nil
	}
	h := c.health.Load()
	err := h.Do(ctx, func(ctx context.Context) error { return c.send(ctx, batch) })
	c.settle(batch, err)
	if err != nil {
		if !errors.Is(err, storehealth.ErrDown) {
			if f := c.onError.Load(); f != nil {
				(*f)(err)
			}
		}
		return fmt.Errorf("ratelimit: exchange inbound counts: %w", err)
	}
	return nil
}

// collect forgets the counts no limiter can ask about any more, and returns
// those to exchange, their requests moved to inflight.
func (c *RedisLimitCounter) collect(now time.Time) []pendingCount {
	// A count is asked about as the current window and then the previous
	// one; one interval more covers a clock slightly behind.
	horizon := now.Add(-2*c.windowLength() - c.interval).UnixMilli()
	c.mu.Lock()
	defer c.mu.Unlock()
	var batch []pendingCount
	c.gen++
	for k, e := range c.entries {
		if k.window < horizon {
			delete(c.entries, k)
			continue
		}
		delta := e.pending + e.carried
		if delta == 0 && c.gen-e.readGen > c.refreshGens {
			continue
		}
		e.inflight, e.pending = e.pending, 0
		e.carriedInflight, e.carried = e.carried, 0
		batch = append(batch, pendingCount{k: k, e: e, delta: delta})
	}
	return batch
}

// send makes one exchange in one pipeline (one per node on a Cluster, where
// a MULTI may not span slots): INCRBY and PEXPIRE for a count with requests
// to add, GET for the others. Each key's commands need no transaction: the
// totals are read from INCRBY's own replies, and a PEXPIRE lost with its
// connection is sent again by the key's next exchange.
func (c *RedisLimitCounter) send(ctx context.Context, batch []pendingCount) error {
	if c.rdb == nil {
		return errors.New("no Redis client")
	}
	ttl := 2 * c.windowLength()
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range batch {
			pc := &batch[i]
			k := c.redisKey(pc.k)
			if pc.delta != 0 {
				pc.incr = p.IncrBy(ctx, k, pc.delta)
				p.PExpire(ctx, k, ttl)
			} else {
				pc.get = p.Get(ctx, k)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	for i := range batch {
		pc := &batch[i]
		if pc.incr != nil {
			if err := pc.incr.Err(); err != nil {
				return err
			}
			continue
		}
		if err := pc.get.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		if _, err := countOf(pc.get); err != nil {
			return err
		}
	}
	return nil
}

// settle applies the outcome of an exchange: the totals read on success,
// on failure the requests kept for the next exchange.
func (c *RedisLimitCounter) settle(batch []pendingCount, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, pc := range batch {
		e := pc.e
		if err != nil {
			e.carried += e.inflight + e.carriedInflight
			e.inflight, e.carriedInflight = 0, 0
			continue
		}
		if pc.incr != nil {
			e.base = pc.incr.Val()
		} else {
			e.base, _ = countOf(pc.get)
		}
		e.inflight, e.carriedInflight = 0, 0
	}
}

// windowLength returns the configured window, or defaultCounterWindow
// before Config.
func (c *RedisLimitCounter) windowLength() time.Duration {
	if w := time.Duration(c.window.Load()); w > 0 {
		return w
	}
	return defaultCounterWindow
}

// redisKey returns the Redis key of a count.
func (c *RedisLimitCounter) redisKey(k entryKey) string {
	return c.prefix + hashTag(k.key) + ":" + strconv.FormatInt(k.window, 10)
}

// countOf reads a GET reply: nil (redis.Nil) for a missing key, else a
// decimal count.
func countOf(cmd *redis.StringCmd) (int64, error) {
	v, err := cmd.Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("count %q: %w", v, err)
	}
	return n, nil
}
