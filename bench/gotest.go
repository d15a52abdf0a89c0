package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// goBenchPackages and goBenchPattern select the testing.B benchmarks of the
// hot paths: JWT verification, cache key and lookup, normalizing a calls
// page, problem writing, the whole cache-hit request, the whole mirrored
// page request, budget admission.
const (
	goBenchPackages = "./internal/auth ./internal/cache ./internal/upstream/phonewagon ./internal/handlers ./internal/ratelimit"
	goBenchPattern  = "^(BenchmarkVerify|BenchmarkKey|BenchmarkFetchHit|BenchmarkETag|BenchmarkDecodeCalls|BenchmarkWriteProblem|BenchmarkCacheHit|BenchmarkMirroredPage|BenchmarkAdmit)$"
)

// goBenchArgs is the go test command line of the benchmarks. -cpu 1 runs
// them with GOMAXPROCS=1, like the gateway pinned to one CPU.
func goBenchArgs(benchtime string) []string {
	args := []string{"test", "-run", "^$", "-bench", goBenchPattern, "-benchmem", "-benchtime", benchtime, "-cpu", "1", "-count", "1"}
	return append(args, strings.Fields(goBenchPackages)...)
}

// microResult is one benchmark line.
type microResult struct {
	Package     string
	Name        string
	NsPerOp     float64
	MBPerSec    float64 // 0 when not reported
	BytesPerOp  int64
	AllocsPerOp int64
	// Extra are the metrics the benchmark reported itself
	// (b.ReportMetric), by unit; nil when there are none.
	Extra map[string]float64
}

// skippedBench is a benchmark that skipped, with its reason.
type skippedBench struct{ Name, Reason string }

// microResults are the parsed output of go test -bench.
type microResults struct {
	Results []microResult
	Skipped []skippedBench
}

// runGoBenchmarks runs the testing.B benchmarks with the run's Redis as
// their test Redis, echoing go test's output to stderr.
func (r *runner) runGoBenchmarks(ctx context.Context) (microResults, error) {
	r.logf("testing.B benchmarks: go %s", strings.Join(goBenchArgs(r.opts.BenchTime), " "))
	var out bytes.Buffer
	cmd := r.goCmd(ctx, goBenchArgs(r.opts.BenchTime)...)
	cmd.Stdout = io.MultiWriter(&out, r.stderr)
	cmd.Env = cleanEnv()
	if r.redis != nil {
		cmd.Env = append(cmd.Env, "SWITCHBOARD_TEST_REDIS_URL="+r.redis.url)
	}
	if err := cmd.Run(); err != nil {
		return microResults{}, fmt.Errorf("go test -bench: %w", err)
	}
	return parseGoBench(out.String()), nil
}

// benchLine matches a result line of go test -bench: the name (without
// the -GOMAXPROCS suffix), the iterations, and the value–unit pairs.
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// skipLine matches the line after "--- SKIP: name" that gives the reason.
var skipLine = regexp.MustCompile(`^\s*--- SKIP: (\S+)`)

// parseGoBench reads go test -bench output.
func parseGoBench(out string) microResults {
	var res microResults
	pkg := ""
	pendingSkip := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(p, "switchboard/")
			continue
		}
		if pendingSkip != "" {
			res.Skipped = append(res.Skipped, skippedBench{Name: pendingSkip, Reason: strings.TrimSpace(stripFileLine(line))})
			pendingSkip = ""
			continue
		}
		if m := skipLine.FindStringSubmatch(line); m != nil {
			pendingSkip = m[1]
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if r, ok := parseBenchMetrics(pkg, m[1], m[2]); ok {
			res.Results = append(res.Results, r)
		}
	}
	return res
}

// parseBenchMetrics reads the "value unit" pairs of a result line; the line
// counts only when it has ns/op, B/op and allocs/op (-benchmem).
func parseBenchMetrics(pkg, name, metrics string) (microResult, bool) {
	r := microResult{Package: pkg, Name: name}
	f := strings.Fields(metrics)
	if len(f)%2 != 0 {
		return r, false
	}
	seen := 0
	for i := 0; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return r, false
		}
		switch unit := f[i+1]; unit {
		case "ns/op":
			r.NsPerOp, seen = v, seen|1
		case "B/op":
			r.BytesPerOp, seen = int64(v), seen|2
		case "allocs/op":
			r.AllocsPerOp, seen = int64(v), seen|4
		case "MB/s":
			r.MBPerSec = v
		default:
			if r.Extra == nil {
				r.Extra = make(map[string]float64)
			}
			r.Extra[unit] = v
		}
	}
	return r, seen == 7
}

// stripFileLine drops the "file_test.go:12: " prefix of a test log line.
func stripFileLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, ".go:"); i >= 0 {
		if j := strings.Index(s[i+4:], ": "); j >= 0 {
			return s[i+4+j+2:]
		}
	}
	return s
}

// find returns the result named name (sub-benchmark names as go test
// prints them, spaces as underscores).
func (m microResults) find(name string) (microResult, bool) {
	for _, r := range m.Results {
		if r.Name == name {
			return r, true
		}
	}
	return microResult{}, false
}
