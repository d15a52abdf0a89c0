package main

import (
	"net"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"switchboard/internal/redistest"
)

func TestRedisUpGaugeIsComputedWhenScraped(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downAddr := closed.Addr().String()
	closed.Close()
	opts, err := redis.ParseURL(redistest.URL())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		addr string
		want float64
	}{
		{"a reachable Redis is up", opts.Addr, 1},
		{"nothing listening is down", downAddr, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := *opts
			o.Addr = tt.addr
			rdb := redis.NewClient(&o)
			defer rdb.Close()
			reg := prometheus.NewRegistry()
			if err := registerRedisUp(reg, rdb); err != nil {
				t.Fatal(err)
			}
			mfs, err := reg.Gather()
			if err != nil || len(mfs) != 1 {
				t.Fatalf("gather: %v, %d families", err, len(mfs))
			}
			if got := mfs[0].GetMetric()[0].GetGauge().GetValue(); got != tt.want {
				t.Errorf("got switchboard_redis_up %v, want %v", got, tt.want)
			}
		})
	}
}
