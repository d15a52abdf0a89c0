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
		return nil, fmt.Errorf("events: read new: %w", err)
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
		return nil, fmt.Errorf("events: pending: %w", err)
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
		return Event{}, false, fmt.Errorf("events: claim: %w", err)
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

// Touch implements Queue (XCLAIM JUSTID with no minimum idle time: it
// resets the idle time and leaves the delivery count).
func (q *RedisQueue) Touch(ctx context.Context, account, group, consumer, id string) error {
	err := q.rdb.XClaimJustID(ctx, &redis.XClaimArgs{
		Stream: q.log.StreamKey(account), Group: group, Consumer: consumer, Messages: []string{id},
	}).Err()
	if err != nil {
		return fmt.Errorf("events: touch: %w", err)
	}
	return nil
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
