package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"sync"

	"switchboard/internal/config"
	"switchboard/internal/domain"
	"switchboard/internal/metrics"
	"switchboard/internal/mirror"
	"switchboard/internal/storehealth"
)

// syncerTuning, when set (tests only), adjusts every syncer's config before
// it is built: shorter lease and poll periods than production's.
var syncerTuning func(*mirror.SyncerConfig)

// mirrors are the call-history mirrors of the Phonewagon accounts that keep
// one: a reader per account for the handlers, and a syncer per account,
// run on every replica (the lease lets one of them work at a time). A reload
// keeps the mirror of an account whose Phonewagon settings did not change
// (its syncer runs on), stops the syncer of an account removed or changed
// (releasing its lease) and starts the syncers of new ones.
type mirrors struct {
	store   mirrorStore
	health  *storehealth.Health // nil without Redis
	owner   string
	metrics *metrics.Metrics
	logger  *slog.Logger

	// onChange, when set, gives each account's syncer its OnChange hook
	// (the events, SPEC §8).
	onChange func(account string) func(mirror.Change, domain.Call) error

	mu      sync.Mutex
	running map[string]*accountMirror // the mirrors in force, by account
	ctx     context.Context           // the syncers' context once start ran; nil before
	wg      sync.WaitGroup
}

// accountMirror is one account's mirror and the settings it was built with.
type accountMirror struct {
	pw     config.Phonewagon
	label  string
	reader *mirror.Reader
	syncer *mirror.Syncer
	stop   context.CancelFunc // nil until its syncer runs
	done   chan struct{}
}

func newMirrors(st *stores, m *metrics.Metrics, logger *slog.Logger) *mirrors {
	return &mirrors{store: st.mirror, health: st.health, owner: replicaName(), metrics: m, logger: logger,
		running: make(map[string]*accountMirror)}
}

// mirrorGeneration is the mirrors one configuration uses while it is being
// built; commit makes it the mirrors in force.
type mirrorGeneration struct {
	ms   *mirrors
	next map[string]*accountMirror
}

// begin starts a generation that may keep every mirror in force.
func (ms *mirrors) begin() *mirrorGeneration {
	return &mirrorGeneration{ms: ms, next: make(map[string]*accountMirror)}
}

// existing returns the reader of pw's mirror when this generation has it
// already, or when the mirror in force was built with the same settings
// (credentials, budget and mirror block); nil otherwise.
func (g *mirrorGeneration) existing(pw *config.Phonewagon) *mirror.Reader {
	account := pw.Account()
	if m, ok := g.next[account]; ok {
		return m.reader
	}
	g.ms.mu.Lock()
	m, ok := g.ms.running[account]
	g.ms.mu.Unlock()
	if ok && reflect.DeepEqual(m.pw, *pw) {
		g.next[account] = m
		return m.reader
	}
	return nil
}

// create builds the mirror of pw's account with upstream, the Phonewagon
// service of the account's first tenant (its client waits on the account's
// budget, in the background lane that the syncer's context carries). Its
// syncer starts when the generation is committed.
func (g *mirrorGeneration) create(pw *config.Phonewagon, upstream mirror.CallLister) (*mirror.Reader, error) {
	ms := g.ms
	account := pw.Account()
	label := pw.ClientID // metrics name accounts by client id, never a URL
	sc := mirror.SyncerConfig{
		Account:         account,
		Owner:           ms.owner,
		Upstream:        upstream,
		Store:           ms.store,
		Leases:          ms.store,
		Follows:         ms.store,
		Retention:       pw.Mirror.Retention,
		SyncInterval:    pw.Mirror.SyncInterval,
		Revisit:         pw.Mirror.Revisit,
		RevisitInterval: pw.Mirror.RevisitInterval,
		OnRequest:       func(kind, outcome string) { ms.metrics.MirrorSyncRequest(label, kind, outcome) },
		OnLease:         func(held bool) { ms.metrics.MirrorLease(label, held) },
		Logger:          ms.logger.With("mirror", label),
	}
	if ms.onChange != nil {
		sc.OnChange = ms.onChange(account)
	}
	if syncerTuning != nil {
		syncerTuning(&sc)
	}
	s, err := mirror.NewSyncer(sc)
	if err != nil {
		return nil, fmt.Errorf("mirror of %s: %w", label, err)
	}
	r := &mirror.Reader{Store: ms.store, Follows: ms.store, Account: account, Health: ms.health}
	g.next[account] = &accountMirror{pw: *pw, label: label, reader: r, syncer: s}
	return r, nil
}

// commit makes g the mirrors in force: the syncers of mirrors it no longer
// has stop (each releasing a lease it held, so that another replica takes
// over at once), and, once start has run, its new syncers start.
func (g *mirrorGeneration) commit() {
	ms := g.ms
	ms.mu.Lock()
	defer ms.mu.Unlock()
	for account, old := range ms.running {
		if g.next[account] == old {
			continue
		}
		old.halt()
		if _, kept := g.next[account]; !kept {
			ms.metrics.UnwatchMirror(old.label)
		}
	}
	for _, m := range g.next {
		if m.stop == nil {
			ms.watch(m)
			if ms.ctx != nil {
				ms.run(m)
			}
		}
	}
	ms.running = g.next
}

// watch reports m's gauges at every scrape.
func (ms *mirrors) watch(m *accountMirror) {
	retention := m.pw.Mirror.Retention
	r := m.reader
	ms.metrics.WatchMirror(m.label, func(ctx context.Context) (metrics.MirrorSnapshot, error) {
		st, err := r.State(ctx)
		if err != nil {
			return metrics.MirrorSnapshot{}, err
		}
		n, err := r.Count(ctx)
		if err != nil {
			return metrics.MirrorSnapshot{}, err
		}
		snap := metrics.MirrorSnapshot{Calls: n, SyncedAt: st.SyncedAt, BackfillDone: st.BackfillDone, Retention: retention}
		if b := st.Backfill; b != nil {
			snap.BackfillLeft = b.End.Sub(b.Start)
		}
		return snap, nil
	})
}

// run starts m's syncer under ms.ctx; ms.mu is held.
func (ms *mirrors) run(m *accountMirror) {
	ctx, cancel := context.WithCancel(ms.ctx)
	m.stop, m.done = cancel, make(chan struct{})
	ms.wg.Go(func() {
		defer close(m.done)
		m.syncer.Run(ctx)
	})
}

// halt stops m's syncer, if it runs, and waits for it to return.
func (m *accountMirror) halt() {
	if m.stop != nil {
		m.stop()
		<-m.done
	}
}

// start runs the syncer of every mirror in force, and of each one a reload
// adds, until the returned stop is called; stop waits for them to finish,
// each releasing a lease it held so that another replica takes over at once.
func (ms *mirrors) start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ms.mu.Lock()
	ms.ctx = ctx
	for _, m := range ms.running {
		if m.stop == nil {
			ms.run(m)
		}
	}
	ms.mu.Unlock()
	return func() {
		cancel()
		ms.wg.Wait()
	}
}

// replicaName names this process in mirror leases (for logs): the host name
// and a random suffix, distinct for replicas on one host.
func replicaName() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "-" + hex.EncodeToString(b[:])
}
