package main

import (
	"strings"
	"testing"
	"time"
)

// targetsReport is a report whose load rows, benchmarks and economy give
// known figures: rps[row] req/s in every repetition, p99s[row] at 8
// connections.
func targetsReport(rps map[string]float64, p99s map[string]time.Duration, micro []microResult) *report {
	rep := &report{Options: options{Conns: []int{8, 64}, Reps: 2}, Load: make(map[rowKey][]wrkResult), Micro: microResults{Results: micro}}
	for row, v := range rps {
		for _, conns := range []int{8, 64} {
			run := wrkResult{Requests: int64(v), Duration: time.Second, P99: p99s[row]}
			rep.Load[rowKey{row, conns}] = []wrkResult{run, run}
		}
	}
	return rep
}

// targetNamed returns the target whose description starts with prefix.
func targetNamed(t *testing.T, ts []target, prefix string) target {
	t.Helper()
	for _, x := range ts {
		if strings.HasPrefix(x.What, prefix) {
			return x
		}
	}
	t.Fatalf("no target starts with %q", prefix)
	return target{}
}

func TestTargetsReadTheRun(t *testing.T) {
	ms := time.Millisecond
	rep := targetsReport(
		map[string]float64{rowBaseline: 1000, rowHitMem: 700, rowHitRedis: 650, rowHitRedis3: 500, rowMiss: 300, rowDirect: 320,
			rowMirrorBase: 800, rowMirror: 100},
		map[string]time.Duration{rowBaseline: ms, rowHitMem: 1500 * time.Microsecond, rowHitRedis: 3 * ms, rowHitRedis3: 2 * ms,
			rowMiss: 23 * ms, rowDirect: 22 * ms},
		[]microResult{{Name: cacheHitBenchmark, AllocsPerOp: 30}, {Name: decodeCallsBenchmark, AllocsPerOp: 9400}},
	)
	rep.Economy = []economyFigures{{Upstream429: 0}, {Upstream429: 2}}
	ts := rep.targets()
	tests := []struct {
		prefix   string
		met      bool
		measured string
	}{
		{"cache hit (b) in-memory: ≥ 0.60 × baseline", true, "0.70 × (700 req/s)"},
		{"cache hit (j) Redis, 1 of 3 replicas: ≥ 0.60 × baseline", false, "0.50 × (500 req/s)"},
		{"cache hit (c) Redis, one replica: ≥ 0.90 × the in-memory hit", true, "0.93 × (650 vs 700 req/s)"},
		{"cache hit (j) Redis, 1 of 3 replicas: ≥ 0.90 × the in-memory hit", false, "0.71 × (500 vs 700 req/s)"},
		{"cache hit (b) in-memory: p99", true, "1.50 ms"},
		{"cache hit (c) Redis, one replica: p99", false, "3.00 ms"},
		{"cache hit (j) Redis, 1 of 3 replicas: p99", true, "2.00 ms"},
		{"cache miss (d)", true, "+1.00 ms (23.0 ms)"},
		{"≤ 25 allocations per cache-hit request", false, "30 allocs/op"},
		{"mirrored page (g)", false, "0.12 × (100 req/s)"},
		{"upstream economy: no upstream 429", false, "2"},
	}
	for _, tt := range tests {
		got := targetNamed(t, ts, tt.prefix)
		if !got.Ran || got.Met != tt.met || got.Measured != tt.measured {
			t.Errorf("%s: got ran %v met %v measured %q, want met %v measured %q", tt.prefix, got.Ran, got.Met, got.Measured, tt.met, tt.measured)
		}
	}
	dec := targetNamed(t, ts, "calls page decode + normalize")
	if !dec.Ran || dec.Measured != "94.0 allocs/record (9400 allocs/op, 100 records)" {
		t.Errorf("decode: got ran %v measured %q", dec.Ran, dec.Measured)
	}
	if targetDecodeAllocsLimit <= 0 && !dec.NoLimit {
		t.Errorf("decode: got a limit, want the figure reported without one")
	}
	if mem := targetNamed(t, ts, "idle RSS"); mem.Ran {
		t.Errorf("idle RSS: got ran, want not run (no memory figures)")
	}
}

func TestTargetsOfRowsThatDidNotRun(t *testing.T) {
	ts := targetsReport(map[string]float64{rowBaseline: 1000}, nil, nil).targets()
	for _, x := range ts {
		if x.Ran {
			t.Errorf("%s: got ran, want not run", x.What)
		}
	}
}

func TestAllocsPerRecordPrefersTheBenchmarksOwnFigure(t *testing.T) {
	tests := []struct {
		name          string
		m             microResult
		per, recordsN float64
	}{
		{"allocs/op over the page size", microResult{AllocsPerOp: 9400}, 94, decodeCallsPageRecords},
		{"allocs/op over records/op", microResult{AllocsPerOp: 500, Extra: map[string]float64{"records/op": 50}}, 10, 50},
		{"the benchmark's allocs/record", microResult{AllocsPerOp: 500, Extra: map[string]float64{"allocs/record": 7.5, "records/op": 50}}, 7.5, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			per, n := allocsPerRecord(tt.m)
			if per != tt.per || n != tt.recordsN {
				t.Errorf("got %v per record over %v, want %v over %v", per, n, tt.per, tt.recordsN)
			}
		})
	}
}

func TestParseOptionsEconomyWorkloads(t *testing.T) {
	o, err := parseOptions([]string{"-economy-workloads", "apps"}, &strings.Builder{})
	if err != nil || len(o.Workloads) != 1 || o.Workloads[0] != workloadApps {
		t.Errorf("got %v, %v; want [apps]", o.Workloads, err)
	}
	o, err = parseOptions(nil, &strings.Builder{})
	if err != nil || len(o.Workloads) != 3 {
		t.Errorf("default: got %v, %v; want every workload", o.Workloads, err)
	}
	if _, err := parseOptions([]string{"-economy-workloads", "dashboards,exports"}, &strings.Builder{}); err == nil {
		t.Error("an unknown workload: got no error, want one")
	}
	if o, err := parseOptions([]string{"-rows", "j"}, &strings.Builder{}); err != nil || !o.Rows[rowHitRedis3] {
		t.Errorf("-rows j: got %v, %v; want row j", o.Rows, err)
	}
}
