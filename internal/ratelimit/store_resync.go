package ratelimit

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"
)

// luaResync re-seeds an account's window (KEYS[1]) with one replica's
// admissions and records in the epoch hash (KEYS[2]) that the replica did.
// ARGV[1]: the epoch the replica seeded before (” if none), ARGV[2]: the
// replica, ARGV[3]: a fresh epoch, ARGV[4]: '1' to start a new epoch unless
// another replica already did, ARGV[5]: the window in µs, ARGV[6]: the
// admissions key's expiry in ms, then pairs of (age in µs, member). An
// admission the window still holds is left alone (ZADD NX), so a re-seed
// after an outage that lost nothing adds nothing twice.
const luaResync = `
local epoch = redis.call('HGET', KEYS[2], 'epoch')
if not epoch or (ARGV[4] == '1' and epoch == ARGV[1]) then
  redis.call('DEL', KEYS[2])
  epoch = ARGV[3]
  redis.call('HSET', KEYS[2], 'epoch', epoch)
end
redis.call('HSET', KEYS[2], 'r:' .. ARGV[2], 1)
local cutoff = now - tonumber(ARGV[5])
local added = 0
for i = 7, #ARGV, 2 do
  local at = now - tonumber(ARGV[i])
  if at > cutoff then
    added = added + redis.call('ZADD', KEYS[1], 'NX', at, ARGV[i + 1])
  end
end
if added > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
end
return epoch
`

// Resync implements Resyncer.
func (s *RedisStore) Resync(ctx context.Context, account string, own []Admission, window time.Duration, restart bool) error {
	if err := checkArgs(1, window); err != nil {
		return fmt.Errorf("ratelimit: redis resync: %w", err)
	}
	restartFlag := "0"
	if restart {
		restartFlag = "1"
	}
	args := make([]any, 0, 6+2*len(own))
	args = append(args, s.epoch(account), s.replica, rand.Text(), restartFlag, ceilMicros(window), ceilMillis(window))
	for _, a := range own {
		// Rounding the age down keeps a re-seeded admission in the window
		// at least as long as the original.
		args = append(args, int64(a.Age/time.Microsecond), a.ID)
	}
	keys := s.keys(account)
	epoch, err := s.resync.Run(ctx, s.rdb, []string{keys[0], keys[2]}, args...).Text()
	if err != nil {
		return fmt.Errorf("ratelimit: redis resync: %w", err)
	}
	s.setEpoch(account, epoch)
	return nil
}
