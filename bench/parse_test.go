package main

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseWrk(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    wrkResult
		wantErr bool
	}{
		{
			name: "the result line is read among wrk's own text",
			out: "Running 10s test @ http://127.0.0.1:1/\n  1 threads and 8 connections\n" +
				"BENCHRESULT requests=600000 duration_us=10000000 bytes=123 connect=0 read=1 write=0 status=2 timeout=3 p50_us=120 p90_us=200 p99_us=1500 max_us=9000\n" +
				"Requests/sec:  60000.00\n",
			want: wrkResult{Requests: 600000, Duration: 10 * time.Second, Bytes: 123, Read: 1, Status: 2, Timeout: 3,
				P50: 120 * time.Microsecond, P90: 200 * time.Microsecond, P99: 1500 * time.Microsecond, Max: 9 * time.Millisecond},
		},
		{name: "output without a result line is an error", out: "Requests/sec: 1\n", wantErr: true},
		{name: "a result line without a duration is an error", out: "BENCHRESULT requests=1\n", wantErr: true},
		{name: "a field that is not a number is an error", out: "BENCHRESULT requests=x duration_us=1\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWrk(tt.out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestWrkResultFigures(t *testing.T) {
	r := wrkResult{Requests: 1500, Duration: 3 * time.Second, Connect: 1, Read: 2, Write: 3, Timeout: 4, Status: 5}
	if got := r.RPS(); got != 500 {
		t.Errorf("RPS: got %v, want 500", got)
	}
	if got := r.Failures(); got != 15 {
		t.Errorf("Failures: got %d, want 15", got)
	}
	if got := (wrkResult{}).RPS(); got != 0 {
		t.Errorf("RPS of an empty result: got %v, want 0", got)
	}
}

func TestLuaRotatingNamesEveryHeaderAndTheValue(t *testing.T) {
	got := luaRotating("/calls?start_time=%s", `tostring(100 + n) .. "000"`, []string{"Basic YQ==", `Bearer "quoted"`})
	for _, want := range []string{`"Basic YQ=="`, `"Bearer \"quoted\""`, `local v = tostring(100 + n) .. "000"`,
		`string.format("/calls?start_time=%s", v)`, `auth[(n % #auth) + 1]`} {
		if !strings.Contains(got, want) {
			t.Errorf("script lacks %s:\n%s", want, got)
		}
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"no values give 0", nil, 0},
		{"an odd count gives the middle value", []float64{3, 1, 2}, 2},
		{"an even count gives the mean of the middle two", []float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.in); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	in := []float64{3, 1, 2}
	median(in)
	if in[0] != 3 {
		t.Errorf("median sorted its argument: got %v", in)
	}
}

func TestPairedComparesRunsOfTheSameRepetition(t *testing.T) {
	run := func(rps int64, p99 time.Duration) wrkResult {
		return wrkResult{Requests: rps, Duration: time.Second, P99: p99}
	}
	rows := []wrkResult{run(50, 3*time.Millisecond), run(10, 5*time.Millisecond), run(40, 2*time.Millisecond)}
	base := []wrkResult{run(100, 1*time.Millisecond), run(20, 1*time.Millisecond), run(100, 1*time.Millisecond)}
	ratio, delta := paired(rows, base)
	if ratio != 0.5 {
		t.Errorf("ratio: got %v, want 0.5 (the median of 0.5, 0.5, 0.4)", ratio)
	}
	if delta != 2*time.Millisecond {
		t.Errorf("p99 difference: got %v, want 2ms (the median of 2, 4, 1 ms)", delta)
	}
}

func TestParseGoBench(t *testing.T) {
	out := `goos: linux
pkg: switchboard/internal/cache
BenchmarkKey      	 1957243	       600.3 ns/op	     368 B/op	      11 allocs/op
BenchmarkETag-2   	  948726	      1295 ns/op	1554.58 MB/s	      48 B/op	       2 allocs/op
pkg: switchboard/internal/handlers
--- SKIP: BenchmarkCacheHit/redis
    router_bench_test.go:250: no Redis at 127.0.0.1:6379: refused
BenchmarkCacheHit/memory         	   97068	     13171 ns/op	    5033 B/op	      68 allocs/op
PASS
`
	got := parseGoBench(out)
	want := []microResult{
		{Package: "internal/cache", Name: "BenchmarkKey", NsPerOp: 600.3, BytesPerOp: 368, AllocsPerOp: 11},
		{Package: "internal/cache", Name: "BenchmarkETag", NsPerOp: 1295, MBPerSec: 1554.58, BytesPerOp: 48, AllocsPerOp: 2},
		{Package: "internal/handlers", Name: "BenchmarkCacheHit/memory", NsPerOp: 13171, BytesPerOp: 5033, AllocsPerOp: 68},
	}
	if len(got.Results) != len(want) {
		t.Fatalf("got %d results, want %d: %+v", len(got.Results), len(want), got.Results)
	}
	for i := range want {
		if !reflect.DeepEqual(got.Results[i], want[i]) {
			t.Errorf("result %d: got %+v, want %+v", i, got.Results[i], want[i])
		}
	}
	if len(got.Skipped) != 1 || got.Skipped[0] != (skippedBench{"BenchmarkCacheHit/redis", "no Redis at 127.0.0.1:6379: refused"}) {
		t.Errorf("skipped: got %+v, want BenchmarkCacheHit/redis with its reason", got.Skipped)
	}
	if r, ok := got.find("BenchmarkCacheHit/memory"); !ok || r.AllocsPerOp != 68 {
		t.Errorf("find: got %+v, %v; want the cache-hit result", r, ok)
	}
}

func TestParseGoBenchReadsReportedMetrics(t *testing.T) {
	out := `pkg: switchboard/internal/upstream/phonewagon
BenchmarkDecodeCalls-2   	     500	   2437151 ns/op	  33.00 MB/s	        94.01 allocs/record	       100.0 records/op	  779206 B/op	    9401 allocs/op
BenchmarkNoMem   	     500	   1000 ns/op
BenchmarkOdd   	     500	   1000 ns/op	  12
`
	got := parseGoBench(out)
	if len(got.Results) != 1 {
		t.Fatalf("got %d results, want 1 (a line without -benchmem figures is not a result): %+v", len(got.Results), got.Results)
	}
	want := microResult{Package: "internal/upstream/phonewagon", Name: "BenchmarkDecodeCalls", NsPerOp: 2437151, MBPerSec: 33,
		BytesPerOp: 779206, AllocsPerOp: 9401, Extra: map[string]float64{"allocs/record": 94.01, "records/op": 100}}
	if !reflect.DeepEqual(got.Results[0], want) {
		t.Errorf("got %+v, want %+v", got.Results[0], want)
	}
}
