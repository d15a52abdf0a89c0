package storehealth_test

import (
	"context"
	"net"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"switchboard/internal/redistest"
	"switchboard/internal/storehealth"
)

func TestPingGaugeIsComputedWhenScraped(t *testing.T) {
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
			health, err := storehealth.New(storehealth.Config{})
			if err != nil {
				t.Fatal(err)
			}
			reg := prometheus.NewRegistry()
			if err := reg.Register(storehealth.PingGauge(health, "switchboard_redis_up", "help",
				func(ctx context.Context) error { return rdb.Ping(ctx).Err() })); err != nil {
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
