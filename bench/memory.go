package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"switchboard/internal/sandbox/phonewagonsim"
)

// Memory measurement parameters.
const (
	idleSettle   = 2 * time.Second // after start-up and one fill, before idle RSS is read
	manyConns    = 256
	manyConnsFor = 5 * time.Second
	rssSample    = 100 * time.Millisecond
)

// exportSizes are the datasets of the export measurement: the sandbox's
// (phonewagonsim.DefaultCalls) and ten times it.
func exportSizes() []int { return []int{phonewagonsim.DefaultCalls, 10 * phonewagonsim.DefaultCalls} }

// memoryFigures are the RSS measurements.
type memoryFigures struct {
	Idle      memStatus // after start-up and one cache fill
	Loaded    memStatus // HWM over a wrk run with manyConns connections
	LoadedRPS float64
	Exports   []exportFigure
}

// exportFigure is one GET /v1/calls/export.
type exportFigure struct {
	Calls    int   // records in the dataset
	Lines    int   // NDJSON lines received
	Bytes    int64 // body bytes received
	Took     time.Duration
	Mem      memStatus // of the gateway after the export: HWM is the peak
	Baseline memStatus // of the same gateway before the export
}

// measureMemory reads the gateway's RSS idle, under manyConns connections,
// and around an export of each size.
func (r *runner) measureMemory(ctx context.Context) (memoryFigures, error) {
	var out memoryFigures
	r.logf("memory: idle, then %d connections for %v", manyConns, manyConnsFor)
	g, err := r.startGateway(ctx, gatewayConfig{CPU: serverCPU, TenantsFile: r.loadTenants})
	if err != nil {
		return out, err
	}
	defer r.stopGateway(g, "")
	if _, err := g.warm(ctx, hitPath, r.tokens[0]); err != nil {
		return out, err
	}
	time.Sleep(idleSettle)
	if out.Idle, err = readMem(g.child.pid()); err != nil {
		return out, err
	}

	stopSampling := r.sampleRSS(g.child.pid())
	res, err := runWrk(ctx, r.procs, r.dir, wrkRun{URL: g.URL + hitPath, Conns: manyConns,
		Duration: manyConnsFor, Header: "Authorization: Bearer " + r.tokens[0]})
	peakRSS := stopSampling()
	if err != nil {
		return out, err
	}
	if out.Loaded, err = readMem(g.child.pid()); err != nil {
		return out, err
	}
	out.Loaded.RSS = max(out.Loaded.RSS, peakRSS)
	out.LoadedRPS = res.RPS()
	if res.Failures() > 0 {
		r.notes = append(r.notes, fmt.Sprintf("%d of the %d-connection requests failed.", res.Failures(), manyConns))
	}

	for _, n := range exportSizes() {
		f, err := r.measureExport(ctx, n)
		if err != nil {
			return out, err
		}
		out.Exports = append(out.Exports, f)
	}
	return out, nil
}

// sampleRSS polls pid's VmRSS until the returned function is called, which
// returns the largest value seen.
func (r *runner) sampleRSS(pid int) func() int64 {
	var (
		mu   sync.Mutex
		peak int64
	)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(rssSample)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if m, err := readMem(pid); err == nil {
					mu.Lock()
					peak = max(peak, m.RSS)
					mu.Unlock()
				}
			}
		}
	}()
	return func() int64 {
		close(done)
		<-stopped
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// measureExport exports a dataset of n calls through a fresh gateway (whose
// peak RSS then says what the export cost) from a simulator without added
// latency, reading the stream as fast as it comes.
func (r *runner) measureExport(ctx context.Context, n int) (exportFigure, error) {
	r.logf("memory: GET /v1/calls/export of %d calls", n)
	sim, err := newPhonewagonSim(1, n, 1<<30, 0)
	if err != nil {
		return exportFigure{}, err
	}
	simURL, stopSim, err := r.serveInProcess(ctx, sim)
	if err != nil {
		return exportFigure{}, err
	}
	defer stopSim()

	tenants := filepath.Join(r.dir, "export-tenants-"+strconv.Itoa(n)+".yaml")
	if err := writeTenants(tenants, []tenantSpec{{ID: "t0", PhonewagonURL: simURL, ClientID: accountID(0),
		Budget: missBudget, RateLimit: 1_000_000}}); err != nil {
		return exportFigure{}, err
	}
	g, err := r.startGateway(ctx, gatewayConfig{CPU: serverCPU, TenantsFile: tenants})
	if err != nil {
		return exportFigure{}, err
	}
	defer r.stopGateway(g, "")
	f := exportFigure{Calls: n}
	if f.Baseline, err = readMem(g.child.pid()); err != nil {
		return f, err
	}
	began := time.Now()
	if f.Lines, f.Bytes, err = readExport(ctx, g.URL+"/v1/calls/export", r.tokens[0]); err != nil {
		return f, err
	}
	f.Took = time.Since(began)
	if f.Lines != n {
		return f, fmt.Errorf("export of %d calls: got %d lines", n, f.Lines)
	}
	f.Mem, err = readMem(g.child.pid())
	return f, err
}

// readExport streams an NDJSON export and counts its lines and bytes.
func readExport(ctx context.Context, url, bearer string) (lines int, n int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("export: got status %d, want 200", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines++
		n += int64(len(sc.Bytes())) + 1
	}
	return lines, n, sc.Err()
}
