package mirror

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/domain"
)

// DefaultRedisPrefix starts every key of a RedisStore built with an empty
// prefix.
const DefaultRedisPrefix = "switchboard:mirror:"

// trimBatch is the most calls one Trim script drops, so that trimming a
// long history never blocks Redis for long.
const trimBatch = 1000

// RedisStore is the Store, Leases and FollowRequests shared by every
// replica through Redis. It is safe for concurrent use.
//
// Every key of an account starts with <prefix>{m:<h>}: where h is the hex
// of the first 16 bytes of the account's SHA-256 (an account name may hold
// any byte, so it never appears raw in the braces). The tag puts all of an
// account's keys on one Redis Cluster slot, so each script touches one
// slot:
//
//	calls          hash: id → envelope (where the call is indexed) + record
//	t              sorted set, all scores 0: one sort member per call (store_order.go)
//	co:<company>   the same, for the calls of one company (query-escaped)
//	ca:<co>:<name> the same, for one company's campaign (both query-escaped)
//	pending        hash: id → the change UpsertPending left to announce ('1' created, '2' updated)
//	state          the sync state (JSON)
//	lease          "<fence>|<owner>", expiring by PX on Redis's clock
//	fence          the counter the lease tokens come from (never expires)
//	follow:req     the follow requests' counter
//	follow:done    the newest request served by a completed follow
//
// Every write is a Lua script that first checks the fence against the
// lease (Upsert and Trim read the held envelopes first, to declare every
// key their script touches); a Query reads the chosen index, then the
// records (see Query).
type RedisStore struct {
	rdb    redis.Cmdable
	prefix string
}

var (
	_ Store          = (*RedisStore)(nil)
	_ Leases         = (*RedisStore)(nil)
	_ FollowRequests = (*RedisStore)(nil)
)

// NewRedisStore returns a store keeping its state in rdb under prefix
// (empty means DefaultRedisPrefix). Any client works: *redis.Client,
// *redis.ClusterClient or a redis.UniversalClient.
func NewRedisStore(rdb redis.Cmdable, prefix string) *RedisStore {
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	return &RedisStore{rdb: rdb, prefix: prefix}
}

// base returns the start of every key of account, hash tag included.
func (s *RedisStore) base(account string) string {
	sum := sha256.Sum256([]byte(account))
	return s.prefix + "{m:" + hex.EncodeToString(sum[:16]) + "}:"
}

// companySuffix and campaignSuffix name an index after the key base;
// query-escaping leaves no ':' in a name, so no two names share a key.
func companySuffix(company string) string { return "co:" + url.QueryEscape(company) }

func campaignSuffix(company, campaign string) string {
	return "ca:" + url.QueryEscape(company) + ":" + url.QueryEscape(campaign)
}

// recordTag starts the record of an envelope in the current format: the
// call's canonical record (canonicalRecord), served as is. An envelope
// written before the tag existed holds its legacyRecord right after the
// header ('{', never the tag): still read (decoded, then encoded), and
// rewritten in the current format by the next upsert of the call, which
// reports it unchanged when only the format differs.
const recordTag = '='

// envelope is the hash value of c (see luaCommon).
func envelope(c domain.Call) (string, error) {
	rec, err := canonicalRecord(c)
	if err != nil {
		return "", err
	}
	return envelopeOf(c, string(recordTag)+string(rec)), nil
}

// legacyEnvelope is the hash value a store of the first format held for c.
func legacyEnvelope(c domain.Call) (string, error) {
	rec, err := legacyRecord(c)
	if err != nil {
		return "", err
	}
	return envelopeOf(c, string(rec)), nil
}

// envelopeOf is the envelope holding record for c: its header then record.
func envelopeOf(c domain.Call, record string) string {
	var co, ca string
	if company := orEmpty(c.CompanyID); company != "" {
		co = companySuffix(company)
		if campaign := orEmpty(c.Campaign.Name); campaign != "" {
			ca = campaignSuffix(company, campaign)
		}
	}
	var b strings.Builder
	b.Grow(len(record) + 64)
	for _, f := range []string{sortMember(callKey(c)), co, ca} {
		b.WriteString(strconv.Itoa(len(f)))
		b.WriteByte(':')
		b.WriteString(f)
	}
	b.WriteString(record)
	return b.String()
}

// errCorruptEnvelope reports a hash value no envelope function wrote.
var errCorruptEnvelope = errors.New("mirror: corrupt record envelope")

// openEnvelope returns the header fields of an envelope (sort member,
// company index suffix, campaign index suffix) and its record as stored
// (see recordTag; canonicalJSON reads it).
func openEnvelope(env string) (header [3]string, record string, err error) {
	pos := 0
	for i := range header {
		c := strings.IndexByte(env[pos:], ':')
		if c < 0 {
			return header, "", errCorruptEnvelope
		}
		n, err := strconv.Atoi(env[pos : pos+c])
		if err != nil || n < 0 || pos+c+1+n > len(env) {
			return header, "", errCorruptEnvelope
		}
		header[i] = env[pos+c+1 : pos+c+1+n]
		pos += c + 1 + n
	}
	return header, env[pos:], nil
}

// isLegacyEnvelope reports whether env holds a record of the first format.
func isLegacyEnvelope(env string) bool {
	_, rec, err := openEnvelope(env)
	return err == nil && (rec == "" || rec[0] != recordTag)
}

// canonicalJSON returns the canonical record of an envelope's record: the
// record itself, or a legacy record decoded and encoded again.
func canonicalJSON(record string) (string, error) {
	if record != "" && record[0] == recordTag {
		return record[1:], nil
	}
	c, err := decodeRecord([]byte(record))
	if err != nil {
		return "", err
	}
	b, err := canonicalRecord(c)
	return string(b), err
}

// fencedResult turns a script's -1 into ErrFenced.
func fencedResult(n int64, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	if n == -1 {
		return 0, ErrFenced
	}
	return n, nil
}

// maxMovedRetries bounds how often a write reads again because a call
// moved between its read and its script (a concurrent write of the same
// lease holder): a write that keeps losing that race fails instead.
const maxMovedRetries = 5

// errMoved reports a write that gave up after maxMovedRetries.
var errMoved = errors.New("calls kept moving between indexes while being written")

// indexKeys returns the distinct company and campaign index keys that the
// envelopes (nil or "" for none) name, after the fixed keys.
func indexKeys(base string, fixed []string, envelopes ...any) []string {
	keys := slices.Clone(fixed)
	seen := make(map[string]bool)
	for _, v := range envelopes {
		env, _ := v.(string)
		if env == "" {
			continue
		}
		h, _, err := openEnvelope(env)
		if err != nil {
			continue // the script refuses what it cannot place (-2), and the write fails
		}
		for _, suffix := range h[1:] {
			if k := base + suffix; suffix != "" && !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// Upsert implements Store: the held envelopes are read (one round trip)
// to declare the index keys they name, then one script writes the batch.
// A call held in the first format is given its legacy envelope too, for
// the script to tell a change of format from a change of the call.
func (s *RedisStore) Upsert(ctx context.Context, account string, fence int64, calls []domain.Call) ([]Change, error) {
	return s.upsert(ctx, account, fence, calls, "")
}

// UpsertPending implements Store: Upsert, whose script also leaves the
// changes in the account's pending hash.
func (s *RedisStore) UpsertPending(ctx context.Context, account string, fence int64, calls []domain.Call) ([]Change, error) {
	return s.upsert(ctx, account, fence, calls, "1")
}

// upsert writes calls, leaving their changes pending when pending is "1".
func (s *RedisStore) upsert(ctx context.Context, account string, fence int64, calls []domain.Call, pending string) ([]Change, error) {
	b := s.base(account)
	ids := make([]string, len(calls))
	envs := make([]any, 0, 2*len(calls))
	for i, c := range calls {
		env, err := envelope(c)
		if err != nil {
			return nil, err
		}
		ids[i] = c.ID
		envs = append(envs, env)
	}
	fixed := []string{b + "lease", b + "calls", b + "t", b + "pending"}
	legacy := make([]string, len(calls)) // computed when first needed
	for range maxMovedRetries {
		held := []any{}
		if len(ids) > 0 {
			var err error
			if held, err = s.rdb.HMGet(ctx, b+"calls", ids...).Result(); err != nil {
				return nil, fmt.Errorf("mirror: upsert: %w", err)
			}
		}
		args := make([]any, 0, 3+3*len(calls))
		args = append(args, fence, b, pending)
		for i, c := range calls {
			var alt string
			if old, _ := held[i].(string); old != "" && isLegacyEnvelope(old) {
				if legacy[i] == "" {
					env, err := legacyEnvelope(c)
					if err != nil {
						return nil, err
					}
					legacy[i] = env
				}
				alt = legacy[i]
			}
			args = append(args, ids[i], envs[i], alt)
		}
		keys := indexKeys(b, fixed, append(held, envs...)...)
		res, err := luaUpsert.Run(ctx, s.rdb, keys, args...).Result()
		if err != nil {
			return nil, fmt.Errorf("mirror: upsert: %w", err)
		}
		switch res {
		case int64(-1):
			return nil, ErrFenced
		case int64(-2):
			continue
		}
		return changesOf(res, len(calls))
	}
	return nil, fmt.Errorf("mirror: upsert: %w", errMoved)
}

// changesOf reads luaUpsert's reply: one digit per call.
func changesOf(res any, n int) ([]Change, error) {
	digits, ok := res.(string)
	if !ok || len(digits) != n {
		return nil, fmt.Errorf("mirror: upsert: unexpected reply %v for %d calls", res, n)
	}
	out := make([]Change, n)
	for i := range digits {
		out[i] = Change(digits[i] - '0')
	}
	return out, nil
}

// Pending implements Store.
func (s *RedisStore) Pending(ctx context.Context, account string) ([]PendingChange, error) {
	m, err := s.rdb.HGetAll(ctx, s.base(account)+"pending").Result()
	if err != nil {
		return nil, fmt.Errorf("mirror: pending changes: %w", err)
	}
	out := make([]PendingChange, 0, len(m))
	for id, v := range m {
		ch := Updated
		if v == "1" {
			ch = Created
		}
		out = append(out, PendingChange{ID: id, Change: ch})
	}
	return out, nil
}

// Announced implements Store.
func (s *RedisStore) Announced(ctx context.Context, account string, fence int64, ids []string) error {
	b := s.base(account)
	for batch := range slices.Chunk(ids, announceBatch) {
		args := make([]any, 0, 1+len(batch))
		args = append(args, fence)
		for _, id := range batch {
			args = append(args, id)
		}
		res, err := luaAnnounced.Run(ctx, s.rdb, []string{b + "lease", b + "pending"}, args...).Int()
		if err != nil {
			return fmt.Errorf("mirror: announced: %w", err)
		}
		if res == -1 {
			return ErrFenced
		}
	}
	return nil
}

// announceBatch is the most ids one luaAnnounced clears (Lua's unpack has
// a limit).
const announceBatch = 1000

// Get implements Store.
func (s *RedisStore) Get(ctx context.Context, account, id string) (domain.Call, bool, error) {
	env, err := s.rdb.HGet(ctx, s.base(account)+"calls", id).Result()
	if errors.Is(err, redis.Nil) {
		return domain.Call{}, false, nil
	}
	if err != nil {
		return domain.Call{}, false, fmt.Errorf("mirror: get call: %w", err)
	}
	_, rec, err := openEnvelope(env)
	if err != nil {
		return domain.Call{}, false, err
	}
	if rec != "" && rec[0] == recordTag {
		rec = rec[1:]
	}
	c, err := decodeRecord([]byte(rec))
	return c, err == nil, err
}

// optimisticReads is how many times Query reads a page with two plain
// commands before it reads it with luaQuery instead (see Query).
const optimisticReads = 3

// Query implements Store. It reads the page's members from the index, then
// their envelopes (two round trips): Redis answers these at a small
// fraction of what a script costs it, which must bring every record into
// Lua and out again. The read is kept when no call of it moved, left the
// index or was dropped between the two commands, so that it is the page
// the index held when the first ran, the records maybe updated since in
// place (a call whose position or index changed is detected by its
// envelope's header); otherwise it is read again, and after
// optimisticReads such reads in one script (luaQuery, one round trip),
// atomically.
func (s *RedisStore) Query(ctx context.Context, account string, q Query) (Page, error) {
	if err := checkStoreQuery(q); err != nil {
		return Page{}, err
	}
	b := s.base(account)
	index, field := b+"t", 0
	switch {
	case q.CampaignName != "":
		index, field = b+campaignSuffix(q.CompanyID, q.CampaignName), 2
	case q.CompanyID != "":
		index, field = b+companySuffix(q.CompanyID), 1
	}
	upper, lower := memberBounds(q)
	maxBound, minBound := "+", "-"
	if upper != "" {
		maxBound = "(" + upper
	}
	if lower != "" {
		minBound = "[" + lower
	}
	for range optimisticReads {
		members, err := s.rdb.ZRevRangeByLex(ctx, index, &redis.ZRangeBy{Max: maxBound, Min: minBound, Count: int64(q.Limit + 1)}).Result()
		if err != nil {
			return Page{}, fmt.Errorf("mirror: query: %w", err)
		}
		if len(members) == 0 {
			return storedPage(q, []string{}, "")
		}
		ids := make([]string, len(members))
		for i, m := range members {
			ids[i] = idOfMember(m)
		}
		envs, err := s.rdb.HMGet(ctx, b+"calls", ids...).Result()
		if err != nil {
			return Page{}, fmt.Errorf("mirror: query: %w", err)
		}
		check := func(i int, h [3]string) bool {
			return h[0] == members[i] && (field == 0 || b+h[field] == index)
		}
		if p, ok, err := envelopesPage(q, envs, check); err != nil || ok {
			return p, err
		}
	}
	envs, err := luaQuery.Run(ctx, s.rdb, []string{index, b + "calls"}, maxBound, minBound, q.Limit+1).Slice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return Page{}, fmt.Errorf("mirror: query: %w", err)
	}
	p, _, err := envelopesPage(q, envs, nil)
	return p, err
}

// envelopesPage makes the page of q from the envelopes read for it (up to
// q.Limit+1, in serving order; nil for an index entry without its record).
// With check, every envelope must be there and pass it (given its position
// and header), else ok is false; without, missing envelopes are skipped
// (an atomic read: never written so).
func envelopesPage(q Query, envs []any, check func(i int, header [3]string) bool) (p Page, ok bool, err error) {
	records := make([]string, 0, min(len(envs), q.Limit))
	var member, last string // the sort member of the last record read; of the page's last
	for i, v := range envs {
		env, present := v.(string)
		if !present {
			if check != nil {
				return Page{}, false, nil
			}
			continue
		}
		h, rec, err := openEnvelope(env)
		if err != nil {
			return Page{}, false, err
		}
		if check != nil && !check(i, h) {
			return Page{}, false, nil
		}
		if len(records) == q.Limit {
			last = member
			break
		}
		if rec, err = canonicalJSON(rec); err != nil {
			return Page{}, false, err
		}
		records = append(records, rec)
		member = h[0]
	}
	p, err = storedPage(q, records, last)
	return p, err == nil, err
}

// Count implements Store.
func (s *RedisStore) Count(ctx context.Context, account string) (int, error) {
	n, err := s.rdb.HLen(ctx, s.base(account)+"calls").Result()
	if err != nil {
		return 0, fmt.Errorf("mirror: count: %w", err)
	}
	return int(n), nil
}

// Trim implements Store, trimBatch calls at a time: a read of the calls
// to drop (to declare their index keys), then a fenced script.
func (s *RedisStore) Trim(ctx context.Context, account string, fence int64, before time.Time) error {
	b := s.base(account)
	fixed := []string{b + "lease", b + "calls", b + "t", b + "pending"}
	bound := "(" + millisMember(ceilMillis(before))
	for moved := 0; moved < maxMovedRetries; {
		held, err := luaTrimPeek.Run(ctx, s.rdb, []string{b + "calls", b + "t"}, bound, trimBatch).Slice()
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("mirror: trim: %w", err)
		}
		n, err := fencedResult(luaTrim.Run(ctx, s.rdb, indexKeys(b, fixed, held...), fence, b, bound, trimBatch).Int64())
		switch {
		case err != nil:
			return fmt.Errorf("mirror: trim: %w", err)
		case n == -2:
			moved++
		case n < trimBatch:
			return nil
		}
	}
	return fmt.Errorf("mirror: trim: %w", errMoved)
}

// State implements Store.
func (s *RedisStore) State(ctx context.Context, account string) (State, error) {
	b, err := s.rdb.Get(ctx, s.base(account)+"state").Bytes()
	if errors.Is(err, redis.Nil) {
		return State{}, nil
	}
	if err != nil {
		return State{}, fmt.Errorf("mirror: read state: %w", err)
	}
	return decodeState(b)
}

// SaveState implements Store.
func (s *RedisStore) SaveState(ctx context.Context, account string, fence int64, st State) error {
	js, err := encodeState(st)
	if err != nil {
		return err
	}
	b := s.base(account)
	_, err = fencedResult(luaSetFenced.Run(ctx, s.rdb, []string{b + "lease", b + "state"}, fence, js).Int64())
	if err != nil {
		return fmt.Errorf("mirror: save state: %w", err)
	}
	return nil
}
