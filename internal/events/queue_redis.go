package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisQueue is the Queue on the account's stream (RedisLog's): one
// consumer group per endpoint, XREADGROUP for new events, XPENDING and
// XCLAIM with a minimum idle time for retries and for taking over the
// attempts of a replica that died, XACK on delivery. The results hash
// shares the stream's hash tag.
type RedisQueue struct {
	rdb redis.Cmdable
	log *RedisLog
}

// NewRedisQueue returns the queue on log's streams.
func NewRedisQueue(rdb redis.Cmdable, log *RedisLog) *RedisQueue {
	return &RedisQueue{rdb: rdb, log: log}
}

// Join implements Queue.
func (q *RedisQueue) Join(ctx context.Context, account, group string) error {
	err := q.rdb.XGroupCreateMkStream(ctx, q.log.StreamKey(account), group, "$").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("events: join group: %w", err)
	}
	return nil
}

// ReadNew implements Queue.
func (q *RedisQueue) ReadNew(ctx context.Context, account, group, consumer string, limit int, block time.Duration) ([]Event, error) {
	streams, err := q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: group, Consumer: consumer, Streams: []string{q.log.StreamKey(account), ">"},
		Count: int64(max(limit, 1)), Block: max(block, time.Millisecond),
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, queueErr("read new", err)
	}
	if len(streams) == 0 {
		return nil, nil
	}
	return decodeAll(streams[0].Messages)
}

// Pending implements Queue.
func (q *RedisQueue) Pending(ctx context.Context, account, group string, limit int) ([]Pending, error) {
	ps, err := q.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
		Stream: q.log.StreamKey(account), Group: group, Start: "-", End: "+", Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, queueErr("pending", err)
	}
	out := make([]Pending, len(ps))
	for i, p := range ps {
		out[i] = Pending{ID: p.ID, Consumer: p.Consumer, Idle: p.Idle, Deliveries: p.RetryCount}
	}
	return out, nil
}

// Claim implements Queue (XCLAIM: atomic, so one replica wins).
func (q *RedisQueue) Claim(ctx context.Context, account, group, consumer, id string, minIdle time.Duration) (Event, bool, error) {
	msgs, err := q.rdb.XClaim(ctx, &redis.XClaimArgs{
		Stream: q.log.StreamKey(account), Group: group, Consumer: consumer, MinIdle: minIdle, Messages: []string{id},
	}).Result()
	if err != nil {
		return Event{}, false, queueErr("claim", err)
	}
	if len(msgs) == 0 {
		return Event{}, false, nil
	}
	if len(msgs[0].Values) == 0 { // trimmed while pending
		return Event{}, false, q.Ack(ctx, account, group, id)
	}
	e, err := decode(msgs[0])
	if err != nil {
		return Event{}, false, err
	}
	return e, true, nil
}

// Keep implements Queue (XCLAIM JUSTID with MIN-IDLE-TIME: it counts no
// delivery, and claims nothing another consumer claimed since, whose idle
// time that claim restarted).
func (q *RedisQueue) Keep(ctx context.Context, account, group, consumer, id string, minIdle time.Duration) (bool, error) {
	ids, err := q.rdb.XClaimJustID(ctx, &redis.XClaimArgs{
		Stream: q.log.StreamKey(account), Group: group, Consumer: consumer, MinIdle: minIdle, Messages: []string{id},
	}).Result()
	if err != nil {
		return false, queueErr("keep", err)
	}
	return len(ids) == 1, nil
}

// Ack implements Queue.
func (q *RedisQueue) Ack(ctx context.Context, account, group, id string) error {
	if err := q.rdb.XAck(ctx, q.log.StreamKey(account), group, id).Err(); err != nil {
		return fmt.Errorf("events: ack: %w", err)
	}
	return nil
}

// Backlog implements Queue (XINFO GROUPS: pending plus lag).
func (q *RedisQueue) Backlog(ctx context.Context, account, group string) (int64, error) {
	groups, err := q.rdb.XInfoGroups(ctx, q.log.StreamKey(account)).Result()
	if err != nil {
		return 0, fmt.Errorf("events: backlog: %w", err)
	}
	for _, g := range groups {
		if g.Name == group {
			return g.Pending + max(g.Lag, 0), nil
		}
	}
	return 0, nil
}

func (q *RedisQueue) resultsKey(account, group string) string {
	return q.log.StreamKey(account) + ":results:" + group
}

// SaveResult implements Queue.
func (q *RedisQueue) SaveResult(ctx context.Context, account, group string, ok bool, r Result) error {
	field := "failure"
	if ok {
		field = "success"
	}
	v := strconv.FormatInt(r.At.UnixMilli(), 10) + " " + strconv.Itoa(r.Status)
	if err := q.rdb.HSet(ctx, q.resultsKey(account, group), field, v).Err(); err != nil {
		return fmt.Errorf("events: save result: %w", err)
	}
	return nil
}

// Results implements Queue.
func (q *RedisQueue) Results(ctx context.Context, account, group string) (Result, Result, error) {
	m, err := q.rdb.HGetAll(ctx, q.resultsKey(account, group)).Result()
	if err != nil {
		return Result{}, Result{}, fmt.Errorf("events: results: %w", err)
	}
	return parseResult(m["success"]), parseResult(m["failure"]), nil
}

func parseResult(s string) Result {
	at, status, ok := strings.Cut(s, " ")
	ms, err1 := strconv.ParseInt(at, 10, 64)
	code, err2 := strconv.Atoi(status)
	if !ok || err1 != nil || err2 != nil {
		return Result{}
	}
	return Result{At: time.UnixMilli(ms).UTC(), Status: code}
}

// dropScript deletes a consumer group and its results hash in one step
// and returns its backlog (pending plus lag; the lag counted by reading the
// stream when Redis cannot tell it), or -1 when the group does not exist.
// KEYS: the stream, the results hash (one hash tag); ARGV: the group.
var dropScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2])
  return -1
end
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local f = {}
  for i = 1, #g, 2 do f[g[i]] = g[i + 1] end
  if f['name'] == ARGV[1] then
    local lag = f['lag']
    if not lag then
      lag = #redis.call('XRANGE', KEYS[1], '(' .. f['last-delivered-id'], '+')
    end
    redis.call('XGROUP', 'DESTROY', KEYS[1], ARGV[1])
    redis.call('DEL', KEYS[2])
    return f['pending'] + lag
  end
end
redis.call('DEL', KEYS[2])
return -1
`)

// Drop implements Queue (one script: XINFO GROUPS for the backlog, then
// XGROUP DESTROY; of replicas dropping the same group, only the first
// gets its count).
func (q *RedisQueue) Drop(ctx context.Context, account, group string) (int64, error) {
	n, err := dropScript.Run(ctx, q.rdb, []string{q.log.StreamKey(account), q.resultsKey(account, group)}, group).Int64()
	if err != nil {
		return 0, fmt.Errorf("events: drop group: %w", err)
	}
	return max(n, 0), nil
}

// queueErr wraps a Redis error of op, as ErrNoGroup too when the group
// does not exist (Redis answers NOGROUP).
func queueErr(op string, err error) error {
	if strings.HasPrefix(err.Error(), "NOGROUP") {
		return fmt.Errorf("events: %s: %w: %w", op, ErrNoGroup, err)
	}
	return fmt.Errorf("events: %s: %w", op, err)
}
