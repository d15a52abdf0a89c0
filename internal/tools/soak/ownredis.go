package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Timings of the run's own Redis.
const (
	redisStartTimeout = 10 * time.Second
	redisStopTimeout  = 10 * time.Second
)

// ownRedis is a redis-server of the run's own on a free 127.0.0.1 port,
// without persistence (--save "" --appendonly no), so that restarting it
// empties it as a Redis without persistence does in production. It is
// started and stopped by its pid only; the machine's shared Redis is never
// touched.
type ownRedis struct {
	bin  string
	dir  string
	port int
	// URL is redis://127.0.0.1:<port>/0.
	URL string

	cmd  *exec.Cmd
	done chan struct{}
	logs int // log files written so far
}

// startOwnRedis finds redis-server, picks a free port and starts it.
func startOwnRedis(ctx context.Context, dir string) (*ownRedis, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis: the soak runs a redis-server of its own (restarted during the run): %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("redis: free port: %w", err)
	}
	r := &ownRedis{bin: bin, dir: dir, port: port, URL: fmt.Sprintf("redis://127.0.0.1:%d/0", port)}
	if err := r.start(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// freePort asks the kernel for a free 127.0.0.1 port. Another process
// could take it before redis-server binds it; start then fails clearly.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// start runs redis-server and waits until it answers PING.
func (r *ownRedis) start(ctx context.Context) error {
	r.logs++
	logFile, err := os.Create(filepath.Join(r.dir, fmt.Sprintf("redis-%d.log", r.logs)))
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	cmd := exec.Command(r.bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir, "--daemonize", "no", "--protected-mode", "yes")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = childAttrs()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("redis: start redis-server: %w", err)
	}
	r.cmd, r.done = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(r.done)
	}()
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port), MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(redisStartTimeout)
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err := rdb.Ping(pctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-r.done:
			return fmt.Errorf("redis: redis-server exited at start; see %s", logFile.Name())
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			r.stop()
			return fmt.Errorf("redis: redis-server did not answer within %s: %w", redisStartTimeout, errors.Join(err, ctx.Err()))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends the server by its pid (SIGTERM, then SIGKILL) and waits for
// it. With no persistence configured it writes nothing to disk.
func (r *ownRedis) stop() {
	if r.cmd == nil {
		return
	}
	select {
	case <-r.done:
		return
	default:
	}
	terminate(r.cmd, r.done, redisStopTimeout)
}

// restart stops the server and starts an empty one on the same port,
// after down.
func (r *ownRedis) restart(ctx context.Context, down time.Duration) error {
	r.stop()
	sleepCtx(ctx, down)
	return r.start(ctx)
}
