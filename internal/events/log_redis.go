package events

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/domain"
)

// RedisLog is the Log on Redis Streams: one stream per account, its
// entries numbered by Redis, so every replica sees the same ids in the same
// order. Each append trims what is older than the keep window (XADD MINID
// ~, which keeps at least the window: Redis drops only whole nodes).
type RedisLog struct {
	rdb    redis.Cmdable
	prefix string
	keep   time.Duration
}

// NewRedisLog returns the log under key prefix, keeping events for keep
// (DefaultKeep when zero or less).
func NewRedisLog(rdb redis.Cmdable, prefix string, keep time.Duration) *RedisLog {
	if keep <= 0 {
		keep = DefaultKeep
	}
	return &RedisLog{rdb: rdb, prefix: prefix, keep: keep}
}

// StreamKey returns account's stream key. Every key of an account carries
// the same hash tag, so they share one Cluster slot; the tag is a hash of
// the account, never the account itself, whose braces or length could
// otherwise choose the slot.
func (l *RedisLog) StreamKey(account string) string {
	sum := sha256.Sum256([]byte(account))
	return l.prefix + "{" + hex.EncodeToString(sum[:8]) + "}:events"
}

// appendScript adds one entry and trims by Redis's own clock, so that the
// keep window does not depend on any replica's clock. ARGV: keep in ms,
// type, call JSON.
var appendScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local minid = now - tonumber(ARGV[1])
if minid < 0 then minid = 0 end
return redis.call('XADD', KEYS[1], 'MINID', '~', tostring(minid), '*', 'type', ARGV[2], 'call', ARGV[3])
`)

// Append implements Log.
func (l *RedisLog) Append(ctx context.Context, account string, typ Type, call domain.Call) (Event, error) {
	body, err := json.Marshal(call)
	if err != nil {
		return Event{}, fmt.Errorf("events: append: encode call: %w", err)
	}
	got, err := appendScript.Run(ctx, l.rdb, []string{l.StreamKey(account)},
		strconv.FormatInt(l.keep.Milliseconds(), 10), string(typ), string(body)).Text()
	if err != nil {
		return Event{}, fmt.Errorf("events: append: %w", err)
	}
	i, err := parseID(got)
	if err != nil {
		return Event{}, fmt.Errorf("events: append: %w", err)
	}
	return Event{ID: got, Type: typ, CreatedAt: i.time(), Data: call}, nil
}

// Read implements Log (XRANGE from just after afterID).
func (l *RedisLog) Read(ctx context.Context, account, afterID string, limit int) ([]Event, error) {
	start := "-"
	if afterID != "" {
		if !ValidID(afterID) {
			return nil, fmt.Errorf("events: read: %q is not an event id", afterID)
		}
		start = "(" + afterID
	}
	if limit <= 0 {
		return nil, nil
	}
	msgs, err := l.rdb.XRangeN(ctx, l.StreamKey(account), start, "+", int64(limit)).Result()
	if err != nil {
		return nil, fmt.Errorf("events: read: %w", err)
	}
	return decodeAll(msgs)
}

// Wait implements Log (XREAD BLOCK). A block under a millisecond is one
// millisecond: XREAD BLOCK 0 would wait forever.
func (l *RedisLog) Wait(ctx context.Context, account, afterID string, limit int, block time.Duration) ([]Event, error) {
	if afterID == "" {
		afterID = zeroID
	}
	if !ValidID(afterID) {
		return nil, fmt.Errorf("events: wait: %q is not an event id", afterID)
	}
	streams, err := l.rdb.XRead(ctx, &redis.XReadArgs{
		Streams: []string{l.StreamKey(account), afterID},
		Count:   int64(max(limit, 1)),
		Block:   max(block, time.Millisecond),
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("events: wait: %w", err)
	}
	if len(streams) == 0 {
		return nil, nil
	}
	return decodeAll(streams[0].Messages)
}

// Last implements Log.
func (l *RedisLog) Last(ctx context.Context, account string) (string, error) {
	msgs, err := l.rdb.XRevRangeN(ctx, l.StreamKey(account), "+", "-", 1).Result()
	if err != nil {
		return "", fmt.Errorf("events: last: %w", err)
	}
	if len(msgs) == 0 {
		return zeroID, nil
	}
	return msgs[0].ID, nil
}

func decodeAll(msgs []redis.XMessage) ([]Event, error) {
	out := make([]Event, 0, len(msgs))
	for _, m := range msgs {
		e, err := decode(m)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// decode turns a stream entry into its event.
func decode(m redis.XMessage) (Event, error) {
	i, err := parseID(m.ID)
	if err != nil {
		return Event{}, err
	}
	typ, _ := m.Values["type"].(string)
	body, _ := m.Values["call"].(string)
	e := Event{ID: m.ID, Type: Type(typ), CreatedAt: i.time()}
	if err := json.Unmarshal([]byte(body), &e.Data); err != nil {
		return Event{}, fmt.Errorf("events: entry %s: decode call: %w", m.ID, err)
	}
	return e, nil
}
