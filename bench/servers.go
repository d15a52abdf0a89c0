package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/sandbox/phonewagonsim"
)

// serveBaseline is the "baseline" subcommand: a bare net/http server that
// answers every request with the body of a file, as application/json. It is
// what the gateway's cache hit is compared with: the same bytes, written by
// the least code net/http allows.
func serveBaseline(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	bodyFile := fs.String("body", "", "file holding the response body")
	if err := fs.Parse(args); err != nil {
		return err
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	length := strconv.Itoa(len(body))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", length)
		_, _ = w.Write(body)
	})
	return listenAndServe(ctx, *addr, h)
}

// upstreamSecret is the client secret of every simulated Phonewagon account
// of the load runs. It exists only between the bench and its simulator.
const upstreamSecret = domain.Secret("bench-phonewagon-secret")

// accountID names the i-th simulated Phonewagon account.
func accountID(i int) string { return "bench-acct-" + strconv.Itoa(i) }

// serveUpstream is the "upstream" subcommand: the Phonewagon simulator with
// accounts bench-acct-0…N-1, an added latency and a rate limit high enough
// never to be what a load run measures.
func serveUpstream(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("upstream", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	latency := fs.Duration("latency", 20*time.Millisecond, "delay added to every answer")
	accounts := fs.Int("accounts", 8, "number of accounts")
	calls := fs.Int("calls", phonewagonsim.DefaultCalls, "call records per account")
	rate := fs.Int("rate", 1<<30, "requests per minute and account before 429")
	if err := fs.Parse(args); err != nil {
		return err
	}
	sim, err := newPhonewagonSim(*accounts, *calls, *rate, *latency)
	if err != nil {
		return err
	}
	return listenAndServe(ctx, *addr, sim)
}

// newPhonewagonSim builds a simulator with n accounts of calls records each,
// the newest an hour old so that queries without an end find them.
func newPhonewagonSim(n, calls, rate int, latency time.Duration) (*phonewagonsim.Server, error) {
	accts := make([]phonewagonsim.Account, n)
	for i := range accts {
		accts[i] = phonewagonsim.Account{ClientID: accountID(i), ClientSecret: upstreamSecret, Seed: int64(i + 1), Calls: calls}
	}
	return phonewagonsim.New(phonewagonsim.Config{
		Accounts:      accts,
		RatePerMinute: rate,
		Anchor:        time.Now().UTC().Truncate(time.Hour).Add(-time.Hour),
		Latency:       latency,
	})
}

// listenAndServe serves h on addr until ctx is done.
func listenAndServe(ctx context.Context, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
