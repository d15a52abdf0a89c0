package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"os/exec"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is the Redis of the run: the one at the configured URL when
// it answers, else a private redis-server the run starts and stops.
type redisServer struct {
	url  string
	rdb  *redis.Client
	own  *child // nil when the Redis was already there
	note string // how it was found, for the report
}

// openRedis connects to url, or starts a private redis-server on a free
// loopback port when nothing answers there and the binary is installed.
// It returns nil, without error, when neither works: the Redis rows are then
// skipped and the report says so.
func openRedis(ctx context.Context, p *procs, url string) (*redisServer, error) {
	if rdb, err := pingRedis(ctx, url); err == nil {
		return &redisServer{url: url, rdb: rdb, note: "the Redis at " + redactRedis(url) + " (unpinned, shared)"}, nil
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, nil
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	c, err := p.start(-1, nil, bin, "--bind", host, "--port", port, "--save", "", "--appendonly", "no")
	if err != nil {
		return nil, err
	}
	own := "redis://" + addr + "/0"
	deadline := time.Now().Add(5 * time.Second)
	for {
		rdb, err := pingRedis(ctx, own)
		if err == nil {
			return &redisServer{url: own, rdb: rdb, own: c, note: "a private redis-server on " + addr + " (unpinned)"}, nil
		}
		if time.Now().After(deadline) {
			p.stop(c)
			return nil, fmt.Errorf("redis-server did not answer: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func pingRedis(ctx context.Context, url string) (*redis.Client, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis URL: %w", err)
	}
	opt.DialerRetries = 1
	rdb := redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, err
	}
	return rdb, nil
}

// newPrefix returns a key prefix no other run uses.
func newPrefix() string { return "sbbench:" + rand.Text() + ":" }

// clean deletes every key under prefix and returns how many there were.
func (s *redisServer) clean(ctx context.Context, prefix string) (int, error) {
	var n int
	iter := s.rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := s.rdb.Unlink(ctx, batch...).Err(); err != nil {
				return n, err
			}
			n, batch = n+len(batch), batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return n, err
	}
	if len(batch) > 0 {
		if err := s.rdb.Unlink(ctx, batch...).Err(); err != nil {
			return n, err
		}
		n += len(batch)
	}
	return n, nil
}

// close disconnects and stops the private server, if any.
func (s *redisServer) close(p *procs) {
	_ = s.rdb.Close()
	p.stop(s.own)
}

// redactRedis drops any password from a Redis URL for the report.
func redactRedis(url string) string {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return "(unparsable URL)"
	}
	return fmt.Sprintf("%s db %d", opt.Addr, opt.DB)
}
