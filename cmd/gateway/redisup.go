package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// redisUpTimeout bounds the PING a scrape makes; a Redis slower than this
// counts as down, as it does for every other Redis call of the gateway.
const redisUpTimeout = 500 * time.Millisecond

// registerRedisUp exports switchboard_redis_up, computed when scraped: 1
// when a PING to Redis answers within redisUpTimeout, 0 otherwise. It is
// what the "Redis down" alert watches; /readyz says the same to the load
// balancer. Registered only when Redis is configured.
func registerRedisUp(reg prometheus.Registerer, rdb redis.UniversalClient) error {
	return reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "switchboard_redis_up",
		Help: "1 when this replica reaches Redis (a PING made when scraped answered within 500 ms), 0 otherwise.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), redisUpTimeout)
		defer cancel()
		if rdb.Ping(ctx).Err() != nil {
			return 0
		}
		return 1
	}))
}
