package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"switchboard/internal/domain"
)

// options are the run's flags.
type options struct {
	Duration      time.Duration // of each wrk run
	Reps          int
	Conns         []int
	Out           string // the Markdown report; "" for none
	RedisURL      string
	Economy       time.Duration // the economy's cold window; 0 skips the upstream-economy run
	EconomyWarmup time.Duration // how long the workload runs before the steady window; 0: no steady window
	EconomySteady time.Duration // the steady window; 0: as long as Economy
	Events        time.Duration // length of the event-delay run, at most 90 s (0 skips it)
	EconomyMirror bool          // run each economy workload a second time with every account mirrored
	Workloads     []string      // economy workloads to run
	BenchTime     string        // go test -benchtime; "" skips the testing.B benchmarks
	Memory        bool
	Rows          map[string]bool // rows of the load matrix to run
}

// parseOptions reads the run's flags.
func parseOptions(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := options{}
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "length of each wrk run (whole seconds)")
	fs.IntVar(&o.Reps, "reps", 3, "interleaved repetitions of the load matrix")
	conns := fs.String("conns", "8,64", "comma-separated wrk connection counts")
	fs.StringVar(&o.Out, "out", "docs/BENCHMARKS.md", "Markdown report to write (empty: none)")
	fs.StringVar(&o.RedisURL, "redis", "redis://127.0.0.1:6379/0", "Redis for the Redis rows and the economy run")
	fs.DurationVar(&o.Economy, "economy", time.Minute, "length of the upstream economy's cold window, from an empty cache (0 skips the economy run)")
	fs.DurationVar(&o.EconomyWarmup, "economy-warmup", time.Minute, "how long the economy's workload runs, uncounted, before its steady window (0: no steady window)")
	fs.DurationVar(&o.EconomySteady, "economy-steady", 5*time.Minute, "length of the economy's steady window (0: as long as -economy); 5m holds one refill of every 5-minute cache entry, the rate a long-running deployment pays")
	fs.DurationVar(&o.Events, "events", time.Minute, "length of the event-delay run, at most 90s (0 skips it)")
	fs.BoolVar(&o.EconomyMirror, "economy-mirror", true, "run each economy workload again with every account mirrored")
	workloads := fs.String("economy-workloads", strings.Join(defaultEconomyWorkloads(), ","), "comma-separated economy workloads to run ("+strings.Join(economyWorkloads(), ", ")+")")
	fs.StringVar(&o.BenchTime, "benchtime", "1s", "go test -benchtime of the testing.B benchmarks (empty skips them)")
	fs.BoolVar(&o.Memory, "memory", true, "measure RSS (idle, 256 connections, export)")
	rowList := fs.String("rows", strings.Join(rowOrder(), ","), "comma-separated rows of the load matrix to run (a–j)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.Rows = make(map[string]bool)
	for _, s := range strings.Split(*rowList, ",") {
		s = strings.TrimSpace(s)
		if _, ok := rows()[s]; !ok && s != "" {
			return o, fmt.Errorf("-rows: unknown row %q", s)
		}
		o.Rows[s] = s != ""
	}
	for _, s := range strings.Split(*workloads, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !slices.Contains(economyWorkloads(), s) {
			return o, fmt.Errorf("-economy-workloads: unknown workload %q", s)
		}
		o.Workloads = append(o.Workloads, s)
	}
	for _, s := range strings.Split(*conns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return o, fmt.Errorf("-conns: %q is not a positive integer", s)
		}
		o.Conns = append(o.Conns, n)
	}
	switch {
	case o.Duration < time.Second || o.Duration%time.Second != 0:
		return o, errors.New("-duration: must be whole seconds, at least 1s")
	case o.Reps < 1:
		return o, errors.New("-reps: must be at least 1")
	case o.Events < 0 || o.Events > eventMaxRun:
		return o, fmt.Errorf("-events: must be between 0 and %v", eventMaxRun)
	case o.Economy < 0:
		return o, errors.New("-economy: must not be negative")
	case o.EconomyWarmup < 0:
		return o, errors.New("-economy-warmup: must not be negative")
	case o.EconomySteady < 0:
		return o, errors.New("-economy-steady: must not be negative")
	}
	return o, nil
}

// runner holds what every step of a run shares.
type runner struct {
	opts          options
	root          string // module root
	dir           string // private temporary directory
	procs         *procs
	stderr        io.Writer
	gatewayBin    string
	selfBin       string
	jwtSecret     domain.Secret
	encryptionKey domain.Secret
	redis         *redisServer // nil: no Redis, the Redis rows are skipped
	upstreamURL   string       // the delayed Phonewagon simulator of the load runs
	loadTenants   string       // tenants file of the load runs
	tokens        []string     // one per load tenant, tokens[0] for the hit rows
	hitBodyFile   string       // the cache hit's body, served by the baseline
	sinceBase     int64        // Unix seconds: the miss rows' first since
	notes         []string     // caveats for the report
	mirror        *mirrorState // the mirrored rows' tenant; nil when they do not run
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.stderr, "bench: "+format+"\n", args...)
}

// runAll is the whole run: everything the package doc lists, then the report.
func runAll(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	began := time.Now()
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed (make bench installs it: apt-get install wrk)")
	}
	r := &runner{opts: opts, stderr: stderr, jwtSecret: randomKey(32), encryptionKey: randomKey(32)}
	pin := canPin()
	if !pin {
		r.notes = append(r.notes, "taskset or a second CPU is missing: servers and wrk ran unpinned.")
	}
	r.procs = newProcs(pin)
	defer r.procs.stopAll()
	if r.root, err = moduleRoot(ctx); err != nil {
		return err
	}
	if r.dir, err = os.MkdirTemp("", "switchboard-bench-"); err != nil {
		return err
	}
	defer os.RemoveAll(r.dir)
	if r.selfBin, err = os.Executable(); err != nil {
		return err
	}
	r.gatewayBin = filepath.Join(r.dir, "gateway")
	r.logf("building the gateway")
	if err := r.goCmd(ctx, "build", "-o", r.gatewayBin, "./cmd/gateway").Run(); err != nil {
		return fmt.Errorf("go build ./cmd/gateway: %w", err)
	}

	rep := &report{Machine: describeMachine(ctx, r.root), Options: opts, Began: began}
	if r.redis, err = openRedis(ctx, r.procs, opts.RedisURL); err != nil {
		return err
	}
	if r.redis == nil {
		r.notes = append(r.notes, "no Redis answered and redis-server is not installed: the Redis row and the economy run were skipped.")
	} else {
		defer r.redis.close(r.procs)
		rep.Redis = r.redis.note
	}
	if opts.BenchTime != "" {
		if rep.Micro, err = r.runGoBenchmarks(ctx); err != nil {
			return err
		}
	}
	if err := r.prepareLoad(ctx); err != nil {
		return err
	}
	if r.redis != nil && (opts.Rows[rowMirrorBase] || opts.Rows[rowMirror] || opts.Rows[rowMirrorCoBase] || opts.Rows[rowMirrorCo]) {
		defer func() {
			if r.mirror != nil {
				r.cleanPrefix(r.mirror.prefix)
			}
		}()
		if err := r.prepareMirror(ctx); err != nil {
			return err
		}
	}
	r.logf("load matrix: %d rows × %v connections × %d repetitions × %v", len(rowOrder()), opts.Conns, opts.Reps, opts.Duration)
	if rep.Load, err = r.runMatrix(ctx); err != nil {
		return err
	}
	if opts.Memory {
		if rep.Memory, err = r.measureMemory(ctx); err != nil {
			return err
		}
	}
	if opts.Economy > 0 && r.redis != nil {
		for _, w := range opts.Workloads {
			for _, mirror := range []bool{false, true} {
				if mirror && !opts.EconomyMirror {
					continue
				}
				figs, err := r.runEconomy(ctx, w, mirror)
				if err != nil {
					return err
				}
				rep.Economy = append(rep.Economy, figs...)
			}
		}
	}
	if opts.Events > 0 {
		if rep.Events, err = r.runEventDelay(ctx); err != nil {
			return err
		}
		r.logf("event delay: %s", rep.Events)
	}
	rep.Notes = r.notes
	rep.Elapsed = time.Since(began)
	text := rep.markdown()
	fmt.Fprint(stdout, rep.table())
	if opts.Out != "" {
		out := opts.Out
		if !filepath.IsAbs(out) {
			out = filepath.Join(r.root, out)
		}
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(out, []byte(text), 0o644); err != nil {
			return err
		}
		r.logf("wrote %s (%s in all)", opts.Out, rep.Elapsed.Round(time.Second))
	}
	return nil
}

// prepareLoad starts the delayed upstream, writes the load tenants, mints
// their tokens, and records the cache hit's body for the baseline.
func (r *runner) prepareLoad(ctx context.Context) error {
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	c, err := r.procs.start(loadCPU, nil, r.selfBin, "upstream", "-addr", addr,
		"-latency", "20ms", "-accounts", strconv.Itoa(missTenants+1)) // the last for the mirrored rows
	if err != nil {
		return err
	}
	r.upstreamURL = "http://" + addr
	if err := waitHTTP(ctx, c, r.upstreamURL+"/"); err != nil {
		return err
	}
	tenants := make([]tenantSpec, missTenants)
	r.tokens = make([]string, missTenants)
	for i := range tenants {
		// Mirror "": no mirror, so that every miss of (d) goes upstream.
		tenants[i] = tenantSpec{ID: "t" + strconv.Itoa(i), PhonewagonURL: r.upstreamURL, ClientID: accountID(i),
			Budget: missBudget, RateLimit: 1_000_000, Mirror: ""}
		if r.tokens[i], err = callerToken(r.jwtSecret, tenants[i].ID); err != nil {
			return err
		}
	}
	r.loadTenants = filepath.Join(r.dir, "load-tenants.yaml")
	if err := writeTenants(r.loadTenants, tenants); err != nil {
		return err
	}
	r.sinceBase = time.Now().Add(-60 * 24 * time.Hour).Unix()

	g, err := r.startGateway(ctx, gatewayConfig{CPU: serverCPU, TenantsFile: r.loadTenants})
	if err != nil {
		return err
	}
	defer r.stopGateway(g, "")
	for _, tok := range r.tokens {
		if err := g.checkNoMirror(ctx, tok); err != nil {
			return err
		}
	}
	body, err := g.warm(ctx, hitPath, r.tokens[0])
	if err != nil {
		return err
	}
	r.hitBodyFile = filepath.Join(r.dir, "hit-body.json")
	return os.WriteFile(r.hitBodyFile, body, 0o600)
}

// goCmd is a go command run in the module root, its output on stderr.
func (r *runner) goCmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = r.root
	cmd.Stdout, cmd.Stderr = r.stderr, r.stderr
	return cmd
}

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run bench from inside the switchboard module")
	}
	return filepath.Dir(mod), nil
}

// canPin reports whether servers and load can be pinned to CPUs 0 and 1.
func canPin() bool {
	_, err := exec.LookPath("taskset")
	return err == nil && runtime.NumCPU() >= 2
}
