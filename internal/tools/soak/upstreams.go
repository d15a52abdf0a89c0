package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"switchboard/internal/sandbox/callwidgetsim"
	"switchboard/internal/sandbox/phonewagonsim"
)

// The mirrored accounts are live: a call about every liveArrivalEvery
// (whole seconds, bursts sharing a second), in progress for
// liveCompleteAfter, one in five listed up to liveLateBy after calls that
// started later.
const (
	liveArrivalEvery  = 3 * time.Second
	liveCompleteAfter = 20 * time.Second
	liveLateBy        = 5 * time.Second
)

// upstreams are the two simulators, each served on its own 127.0.0.1 port
// behind a tap.
type upstreams struct {
	cw    *callwidgetsim.Server
	pw    *phonewagonsim.Server
	cwTap *tap
	pwTap *tap
	cwSrv *http.Server
	pwSrv *http.Server
	// CWURL is the CallWidget base URL (with /api/v1); PWURL Phonewagon's.
	CWURL, PWURL string
}

// startUpstreams starts both simulators with the topology's accounts.
func startUpstreams(creds credentials) (*upstreams, error) {
	var users []callwidgetsim.User
	for i := range numCWUsers {
		users = append(users, callwidgetsim.User{Email: cwEmail(i), Password: creds.CWPasswords[i], Seed: int64(i + 1)})
	}
	cw, err := callwidgetsim.New(callwidgetsim.Config{Users: users})
	if err != nil {
		return nil, fmt.Errorf("start upstreams: %w", err)
	}
	var accounts []phonewagonsim.Account
	for i := range numPWAccounts {
		a := phonewagonsim.Account{ClientID: pwClientID(i), ClientSecret: creds.PWSecrets[i], Seed: int64(i + 1)}
		if mirroredAccount(i) {
			a.ArrivalEvery, a.CompleteAfter, a.LateBy = liveArrivalEvery, liveCompleteAfter, liveLateBy
		}
		accounts = append(accounts, a)
	}
	pw, err := phonewagonsim.New(phonewagonsim.Config{Accounts: accounts, RatePerMinute: budgetPerMinute})
	if err != nil {
		return nil, fmt.Errorf("start upstreams: %w", err)
	}
	u := &upstreams{cw: cw, pw: pw, cwTap: newTap(cw), pwTap: newTap(pw)}
	var cwAddr, pwAddr string
	if u.cwSrv, cwAddr, err = serveLoopback(u.cwTap); err != nil {
		return nil, fmt.Errorf("start upstreams: callwidget: %w", err)
	}
	if u.pwSrv, pwAddr, err = serveLoopback(u.pwTap); err != nil {
		_ = u.cwSrv.Close()
		return nil, fmt.Errorf("start upstreams: phonewagon: %w", err)
	}
	u.CWURL = "http://" + cwAddr + callwidgetsim.BasePath
	u.PWURL = "http://" + pwAddr
	return u, nil
}

// serveLoopback serves h on a free 127.0.0.1 port.
func serveLoopback(h http.Handler) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "soak: upstream server stopped:", err)
		}
	}()
	return srv, ln.Addr().String(), nil
}

// dropIdleConns closes the idle keep-alive connections the replicas hold
// to the simulators, so that their reader goroutines do not count as
// leaked in the goroutine comparison. Turning keep-alives off closes the
// idle ones; turning them back on serves new ones as before.
func (u *upstreams) dropIdleConns() {
	for _, s := range []*http.Server{u.cwSrv, u.pwSrv} {
		s.SetKeepAlivesEnabled(false)
		s.SetKeepAlivesEnabled(true)
	}
}

// clearFaults releases every injected fault (and the requests they hang).
func (u *upstreams) clearFaults() {
	u.cw.ClearFault()
	u.pw.ClearFault()
}

// close stops both servers, after releasing hung requests.
func (u *upstreams) close() {
	u.clearFaults()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, s := range []*http.Server{u.cwSrv, u.pwSrv} {
		if err := s.Shutdown(ctx); err != nil {
			_ = s.Close()
		}
	}
}
