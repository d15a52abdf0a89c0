package ratelimit

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/storehealth"
)

// Defaults of ReplicasConfig.
const (
	DefaultHeartbeatInterval = time.Second
	// DefaultCountHold is how long a Replicas keeps reporting a higher
	// count after beats counted fewer replicas.
	DefaultCountHold = 10 * time.Second
	// DefaultAssumedReplicas is the replica count a Replicas reports until
	// it has counted the live ones once (the gateway started while Redis
	// was down): a guess, erring on the side of a smaller share.
	DefaultAssumedReplicas = 3
)

// ReplicasConfig configures a Replicas. Zero fields take the documented
// defaults.
type ReplicasConfig struct {
	// Redis holds the heartbeats. Required.
	Redis redis.Scripter
	// Prefix starts the heartbeat key. Default DefaultRedisPrefix.
	Prefix string
	// Health decides whether Redis is used; shared with the other users of
	// the client. Required.
	Health *storehealth.Health
	// ID names this replica. Default a random one.
	ID string
	// Interval is how often Run beats. Default DefaultHeartbeatInterval.
	Interval time.Duration
	// TTL is how long a replica counts as live after its last beat.
	// Default three intervals.
	TTL time.Duration
	// Assume is what Live reports before the first count, and at least
	// until a Hold has passed since NewReplicas: a replica counts the
	// others only when it beats, so the first count of a replica started
	// together with others (a deployment) may miss those that beat after
	// it, and a share of the whole limit during an early outage, or a
	// re-seeded window trusted with only its own count, would overrun the
	// budget. The assumed count is held as if it had been counted at
	// start. Default DefaultAssumedReplicas.
	Assume int
	// Hold is how long Live keeps reporting the highest count seen after
	// beats counted fewer: a replica whose beat is late (a loaded machine)
	// or lost with the set (Redis restarted empty) must not make the
	// others' outage shares grow. Default DefaultCountHold.
	Hold time.Duration
	// Now is the clock of Hold. Default time.Now.
	Now func() time.Time
}

// Replicas knows how many replicas of the gateway are running, from
// heartbeats in Redis: the divisor of each replica's share of a Phonewagon
// budget while Redis is down, and the number of replicas that must re-seed a
// lost budget window before it is trusted again. It is safe for concurrent
// use.
//
// The heartbeats are one sorted set, <prefix>replicas, with a member per
// replica scored by the Redis time of its last beat; a beat adds this
// replica, drops the members older than TTL and counts the rest, in one
// script on Redis's clock. (One key rather than a key per replica with its
// own TTL: counting is then one command, also on Redis Cluster.)
type Replicas struct {
	rdb      redis.Scripter
	key      string
	health   *storehealth.Health
	id       string
	interval time.Duration
	ttl      time.Duration
	beat     *redis.Script
	hold     time.Duration
	now      func() time.Time

	// high is the highest count seen within hold of highAt (at first the
	// assumed count, seen at start):
	// the divisor shrinks only once fewer replicas have been counted for
	// a whole hold, never because one beat was late.
	countMu sync.Mutex
	high    int64
	highAt  time.Time

	mu    sync.Mutex
	hooks []func(ctx context.Context)
}

// luaBeat records this replica's beat (ARGV[1]) and counts the replicas that
// beat within the TTL (ARGV[2], µs); ARGV[3] is the key's expiry in ms.
const luaBeat = luaClock + `
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('ZCARD', KEYS[1])
`

// NewReplicas validates cfg and returns a Replicas that has not beaten yet.
func NewReplicas(cfg ReplicasConfig) (*Replicas, error) {
	switch {
	case cfg.Redis == nil:
		return nil, errors.New("ratelimit: replicas config: redis: is required")
	case cfg.Health == nil:
		return nil, errors.New("ratelimit: replicas config: health: is required")
	case cfg.Interval < 0 || cfg.TTL < 0 || cfg.Assume < 0 || cfg.Hold < 0:
		return nil, errors.New("ratelimit: replicas config: interval, ttl, assume and hold must not be negative")
	}
	interval := cmp.Or(cfg.Interval, DefaultHeartbeatInterval)
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	assume := cmp.Or(cfg.Assume, DefaultAssumedReplicas)
	return &Replicas{
		rdb:      cfg.Redis,
		key:      cmp.Or(cfg.Prefix, DefaultRedisPrefix) + "replicas",
		health:   cfg.Health,
		id:       cmp.Or(cfg.ID, rand.Text()),
		interval: interval,
		ttl:      cmp.Or(cfg.TTL, 3*interval),
		beat:     redis.NewScript(luaBeat),
		hold:     cmp.Or(cfg.Hold, DefaultCountHold),
		now:      now,
		high:     int64(assume),
		highAt:   now(),
	}, nil
}

// ID is this replica's name in the heartbeats and in re-seeded windows.
func (r *Replicas) ID() string { return r.id }

// Live is the highest number of live replicas counted (this one included)
// within the hold, the assumed number counting as seen at start. It never
// asks Redis: during an outage it is the count last seen.
func (r *Replicas) Live() int {
	r.countMu.Lock()
	defer r.countMu.Unlock()
	return int(r.high)
}

// observe records a count: it replaces the highest one when it is as
// high, or when the highest is older than the hold.
func (r *Replicas) observe(n int64) {
	r.countMu.Lock()
	defer r.countMu.Unlock()
	if now := r.now(); n >= r.high || now.Sub(r.highAt) > r.hold {
		r.high, r.highAt = n, now
	}
}

// Beat records this replica's heartbeat and counts the live replicas, if
// the shared store's health lets it.
func (r *Replicas) Beat(ctx context.Context) error {
	var n int64
	err := r.health.Do(ctx, func(ctx context.Context) error {
		var err error
		n, err = r.beat.Run(ctx, r.rdb, []string{r.key}, r.id, ceilMicros(r.ttl), ceilMillis(r.ttl)).Int64()
		return err
	})
	if err != nil {
		return fmt.Errorf("ratelimit: heartbeat: %w", err)
	}
	r.observe(max(n, 1))
	return nil
}

// OnBeat adds a hook run after every beat of Run, successful or not: a
// Budget's Sync, so that a replica re-seeds a lost window even when it has
// no traffic of its own to notice the loss with.
func (r *Replicas) OnBeat(hook func(ctx context.Context)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hooks = append(r.hooks, hook)
}

// Start beats once at once, so that the replicas are counted before the
// first request, then runs Run in a goroutine of its own. The returned stop
// ends it and waits for it to return.
func (r *Replicas) Start() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	_ = r.Beat(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	return func() { cancel(); <-done }
}

// Run beats every interval, and runs the hooks after each beat, until ctx
// ends. Failures are not reported: the store's health says Redis is down.
func (r *Replicas) Run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		_ = r.Beat(ctx)
		r.mu.Lock()
		hooks := slices.Clone(r.hooks)
		r.mu.Unlock()
		for _, h := range hooks {
			h(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
