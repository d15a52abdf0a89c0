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

// benchLine matches a result line of go test -bench -benchmem.
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) MB/s)?\s+(\d+) B/op\s+(\d+) allocs/op`)

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
		r := microResult{Package: pkg, Name: m[1]}
		r.NsPerOp, _ = strconv.ParseFloat(m[2], 64)
		if m[3] != "" {
			r.MBPerSec, _ = strconv.ParseFloat(m[3], 64)
		}
		r.BytesPerOp, _ = strconv.ParseInt(m[4], 10, 64)
		r.AllocsPerOp, _ = strconv.ParseInt(m[5], 10, 64)
		res.Results = append(res.Results, r)
	}
	return res
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
