package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what one wrk run measured.
type wrkResult struct {
	Requests int64
	Duration time.Duration
	Bytes    int64
	// Errors are socket errors (connect, read, write, timeout) and
	// responses with a status ≥ 400 (Status).
	Connect, Read, Write, Timeout, Status int64
	P50, P90, P99, Max                    time.Duration
}

// RPS is requests per second over the run.
func (r wrkResult) RPS() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Duration.Seconds()
}

// Failures counts every request that did not end in a 2xx or 3xx answer.
func (r wrkResult) Failures() int64 {
	return r.Connect + r.Read + r.Write + r.Timeout + r.Status
}

// resultMarker starts the machine-readable line the done() hook prints.
const resultMarker = "BENCHRESULT"

// luaDone prints the summary and exact latency percentiles (µs) on one line
// that parseWrk reads; wrk's own text rounds to two decimals.
const luaDone = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("` + resultMarker + ` requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`

// luaRotating returns a request() hook that makes every request distinct,
// so none can be served from a cache: the n-th request names the point in
// time base+n seconds through pathFmt (one %s: the value), and carries the
// n-th of headers (Authorization values) in rotation.
func luaRotating(pathFmt string, value string, headers []string) string {
	var b strings.Builder
	b.WriteString("local auth = {\n")
	for _, h := range headers {
		fmt.Fprintf(&b, "  %q,\n", h)
	}
	b.WriteString("}\nlocal n = 0\n")
	fmt.Fprintf(&b, `request = function()
  n = n + 1
  local v = %s
  local path = string.format(%q, v)
  return wrk.format("GET", path, { ["Authorization"] = auth[(n %% #auth) + 1] })
end
`, value, pathFmt)
	return b.String()
}

// wrkRun is one load run's parameters.
type wrkRun struct {
	URL      string
	Conns    int
	Duration time.Duration
	Header   string // one extra request header ("Name: value"), optional
	Script   string // Lua added before the done() hook, optional
}

// args returns wrk's command line, the script written to dir.
func (w wrkRun) args(dir string) ([]string, error) {
	f, err := os.CreateTemp(dir, "wrk-*.lua")
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(w.Script + luaDone); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	args := []string{"wrk", "-t1", "-c" + strconv.Itoa(w.Conns), "-d" + strconv.Itoa(int(w.Duration.Seconds())) + "s",
		"--timeout", "5s", "--latency", "-s", filepath.Base(f.Name())}
	if w.Header != "" {
		args = append(args, "-H", w.Header)
	}
	return append(args, w.URL), nil
}

// runWrk runs wrk pinned to the load CPU and parses its result.
func runWrk(ctx context.Context, p *procs, dir string, w wrkRun) (wrkResult, error) {
	args, err := w.args(dir)
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk script: %w", err)
	}
	line := p.command(loadCPU, args...)
	cmd := exec.CommandContext(ctx, line[0], line[1:]...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	res, err := parseWrk(string(out))
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	return res, nil
}

// parseWrk reads the line luaDone printed.
func parseWrk(out string) (wrkResult, error) {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != resultMarker {
			continue
		}
		var r wrkResult
		us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
		for _, f := range fields[1:] {
			k, s, ok := strings.Cut(f, "=")
			if !ok {
				return wrkResult{}, fmt.Errorf("result field %q has no value", f)
			}
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return wrkResult{}, fmt.Errorf("result field %s: %w", k, err)
			}
			switch k {
			case "requests":
				r.Requests = v
			case "duration_us":
				r.Duration = us(v)
			case "bytes":
				r.Bytes = v
			case "connect":
				r.Connect = v
			case "read":
				r.Read = v
			case "write":
				r.Write = v
			case "status":
				r.Status = v
			case "timeout":
				r.Timeout = v
			case "p50_us":
				r.P50 = us(v)
			case "p90_us":
				r.P90 = us(v)
			case "p99_us":
				r.P99 = us(v)
			case "max_us":
				r.Max = us(v)
			}
		}
		if r.Duration <= 0 {
			return wrkResult{}, errors.New("result line without a duration")
		}
		return r, nil
	}
	return wrkResult{}, errors.New("no " + resultMarker + " line in the output")
}
