package mirror

import "github.com/redis/go-redis/v9"

// The Lua scripts of RedisStore. Each runs atomically, so a write's fence
// check and its effects cannot interleave with another replica's writes.
//
// Every key a script touches is declared in KEYS, as Redis Cluster asks,
// and carries the account's hash tag, so it is on one slot. The company and
// campaign index keys of the calls a write moves or drops are known only
// from the envelopes held, so the Go side reads those first and declares
// the keys they name; the script checks, before it writes anything, that
// every index key it needs was declared (a concurrent write may have moved
// a call since), and returns -2 otherwise, for the caller to read again.
//
// A fenced script returns -1 and changes nothing.

// luaCommon holds the helpers every script may use.
//
// A held call's hash value is an envelope: three length-prefixed fields
// ("<len>:<bytes>": the sort member, the suffix of its company index key,
// the suffix of its campaign index key, "" for none) then the record's
// JSON. The envelope says where the call was indexed, so an update that
// changes its company, campaign or start time removes it from exactly the
// entries it had.
const luaCommon = `
local function fenced(leaseKey, fence)
  local v = redis.call('GET', leaseKey)
  return (not v) or string.match(v, '^(%d+)|') ~= fence
end
local function field(v, pos)
  local c = string.find(v, ':', pos, true)
  local n = tonumber(string.sub(v, pos, c - 1))
  return string.sub(v, c + 1, c + n), c + n + 1
end
local function header(v)
  local m, p = field(v, 1)
  local co, q = field(v, p)
  local ca = field(v, q)
  return m, co, ca
end
local function idOf(m)
  if string.sub(m, 14, 14) == '0' then return string.sub(m, 18) end
  return string.sub(m, 15)
end
local declared = {}
for _, k in ipairs(KEYS) do declared[k] = true end
local function covered(base, v)
  local _, co, ca = header(v)
  return (co == '' or declared[base .. co]) and (ca == '' or declared[base .. ca])
end
local function unindex(base, byTime, v)
  local m, co, ca = header(v)
  redis.call('ZREM', byTime, m)
  if co ~= '' then redis.call('ZREM', base .. co, m) end
  if ca ~= '' then redis.call('ZREM', base .. ca, m) end
end
local function index(base, byTime, v)
  local m, co, ca = header(v)
  redis.call('ZADD', byTime, 0, m)
  if co ~= '' then redis.call('ZADD', base .. co, 0, m) end
  if ca ~= '' then redis.call('ZADD', base .. ca, 0, m) end
end
`

// luaUpsert writes a batch of calls.
// KEYS: lease, calls hash, time index, pending hash, then every company
// and campaign index the held and the new envelopes name. ARGV: fence, key
// base, "1" to leave the changes pending (UpsertPending) or "", then per
// call its id, its envelope and its legacy envelope ("" unless the call is
// held in the first format: a held value equal to it is the same call,
// rewritten in the current format and reported unchanged). Returns one
// digit per call (the Change), -1 or -2. A change left pending is the
// digit under the call's id in the pending hash; a '1' (created) is kept
// when the call is updated before it is announced.
var luaUpsert = redis.NewScript(luaCommon + `
if fenced(KEYS[1], ARGV[1]) then return -1 end
for i = 4, #ARGV, 3 do
  local old = redis.call('HGET', KEYS[2], ARGV[i])
  if (old and not covered(ARGV[2], old)) or not covered(ARGV[2], ARGV[i + 1]) then return -2 end
end
local pending = ARGV[3] == '1'
local out = {}
for i = 4, #ARGV, 3 do
  local id, v, legacy = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local old = redis.call('HGET', KEYS[2], id)
  if old == v then
    out[#out + 1] = '0'
  elseif old and legacy ~= '' and old == legacy then
    redis.call('HSET', KEYS[2], id, v)
    out[#out + 1] = '0'
  else
    if old then
      unindex(ARGV[2], KEYS[3], old)
      out[#out + 1] = '2'
    else
      out[#out + 1] = '1'
    end
    redis.call('HSET', KEYS[2], id, v)
    index(ARGV[2], KEYS[3], v)
    if pending and redis.call('HGET', KEYS[4], id) ~= '1' then
      redis.call('HSET', KEYS[4], id, out[#out])
    end
  end
end
return table.concat(out)
`)

// luaQuery reads one page: up to ARGV[3] members of the index KEYS[1] from
// ARGV[1] down to ARGV[2] (ZREVRANGEBYLEX bounds), and their envelopes from
// the calls hash KEYS[2], in one round trip whatever the history's size.
// It needs none of luaCommon but idOf.
var luaQuery = redis.NewScript(`
local function idOf(m)
  if string.sub(m, 14, 14) == '0' then return string.sub(m, 18) end
  return string.sub(m, 15)
end
local ms = redis.call('ZREVRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
if #ms == 0 then return {} end
local ids = {}
for i, m in ipairs(ms) do ids[i] = idOf(m) end
return redis.call('HMGET', KEYS[2], unpack(ids))
`)

// luaTrimPeek returns the envelopes of the calls luaTrim would drop with
// the same bound and batch. KEYS: calls hash, time index. ARGV: bound,
// batch.
var luaTrimPeek = redis.NewScript(luaCommon + `
local ms = redis.call('ZRANGEBYLEX', KEYS[2], '-', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #ms == 0 then return {} end
local ids = {}
for i, m in ipairs(ms) do ids[i] = idOf(m) end
return redis.call('HMGET', KEYS[1], unpack(ids))
`)

// luaTrim drops up to ARGV[4] of the oldest calls whose members are below
// ARGV[3] (a ZRANGEBYLEX bound). KEYS: lease, calls hash, time index, then
// the company and campaign indexes of those calls (luaTrimPeek). ARGV:
// fence, key base, bound, batch. Returns the number of members dropped,
// -1 or -2.
var luaTrim = redis.NewScript(luaCommon + `
if fenced(KEYS[1], ARGV[1]) then return -1 end
local ms = redis.call('ZRANGEBYLEX', KEYS[3], '-', ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
for _, m in ipairs(ms) do
  local v = redis.call('HGET', KEYS[2], idOf(m))
  if v and not covered(ARGV[2], v) then return -2 end
end
for _, m in ipairs(ms) do
  local id = idOf(m)
  local v = redis.call('HGET', KEYS[2], id)
  if v then
    unindex(ARGV[2], KEYS[3], v)
    redis.call('HDEL', KEYS[2], id)
  else
    redis.call('ZREM', KEYS[3], m)
  end
end
return #ms
`)

// luaSetFenced sets KEYS[2] to ARGV[2] when ARGV[1] is the lease's fence
// (KEYS[1]). Returns 1, or -1.
var luaSetFenced = redis.NewScript(luaCommon + `
if fenced(KEYS[1], ARGV[1]) then return -1 end
redis.call('SET', KEYS[2], ARGV[2])
return 1
`)

// luaRaise sets the counter KEYS[2] to ARGV[2] when that is higher and
// ARGV[1] is the lease's fence (KEYS[1]). Returns 1, or -1.
var luaRaise = redis.NewScript(luaCommon + `
if fenced(KEYS[1], ARGV[1]) then return -1 end
local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[2]) > cur then redis.call('SET', KEYS[2], ARGV[2]) end
return 1
`)

// luaAcquire grants the free lease KEYS[1] to ARGV[1] for ARGV[2] ms with
// the next token of the counter KEYS[2]. The lease's value is
// "<fence>|<owner>"; PX makes Redis's own clock expire it. Returns the
// token, or 0 when the lease is held.
var luaAcquire = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local f = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], f .. '|' .. ARGV[1], 'PX', ARGV[2])
return f
`)

// luaRenew extends the lease KEYS[1] to ARGV[2] ms when ARGV[1] is its
// fence. Returns 1, or -1.
var luaRenew = redis.NewScript(luaCommon + `
if fenced(KEYS[1], ARGV[1]) then return -1 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`)

// luaAnnounced clears the pending changes ARGV[2..] from the pending hash
// KEYS[2] when ARGV[1] is the lease's fence (KEYS[1]). Returns 1, or -1.
var luaAnnounced = redis.NewScript(luaCommon + `
if fenced(KEYS[1], ARGV[1]) then return -1 end
if #ARGV > 1 then redis.call('HDEL', KEYS[2], unpack(ARGV, 2)) end
return 1
`)

// luaRelease deletes the lease KEYS[1] when ARGV[1] is its fence. Returns
// 1, or -1.
var luaRelease = redis.NewScript(luaCommon + `
if fenced(KEYS[1], ARGV[1]) then return -1 end
redis.call('DEL', KEYS[1])
return 1
`)
