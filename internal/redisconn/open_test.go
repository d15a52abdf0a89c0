package redisconn_test

import (
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"switchboard/internal/redisconn"
)

func TestOpenPicksTheClientTheURLNames(t *testing.T) {
	tests := []struct {
		name string
		url  string
		want string
	}{
		{"a plain URL opens a single-server client", "redis://:pw@127.0.0.1:6379/2", "*redis.Client"},
		{"a URL with further addr= nodes opens a Cluster client", "redis://127.0.0.1:7000?addr=127.0.0.1:7001&addr=127.0.0.1:7002", "*redis.ClusterClient"},
		{"a URL naming master_name opens a Sentinel client", "redis://127.0.0.1:26379?master_name=mymaster", "*redis.Client"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rdb, err := redisconn.Open(tc.url)
			if err != nil {
				t.Fatalf("got %v, want a client", err)
			}
			defer rdb.Close()
			var got string
			switch rdb.(type) {
			case *redis.Client:
				got = "*redis.Client"
			case *redis.ClusterClient:
				got = "*redis.ClusterClient"
			}
			if got != tc.want {
				t.Errorf("got %T, want %s", rdb, tc.want)
			}
		})
	}
}

func TestOpenNeverEchoesTheURL(t *testing.T) {
	tests := []struct {
		name string
		url  string
	}{
		{"a bad scheme", "http://user:s3cr3t-pw@example.com:6379/0"},
		{"a bad database number", "redis://:s3cr3t-pw@example.com:6379/notanumber"},
		{"a bad cluster URL", "rediss://:s3cr3t-pw@example.com:6379?addr=host2:6379&dial_timeout=forever"},
		{"not a URL at all", "redis://:s3cr3t-pw@exa mple.com:%zz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rdb, err := redisconn.Open(tc.url)
			if err == nil {
				rdb.Close()
				t.Fatal("got a client, want an error")
			}
			if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "example.com") {
				t.Errorf("got %q, want an error that does not echo the URL", err)
			}
		})
	}
}
