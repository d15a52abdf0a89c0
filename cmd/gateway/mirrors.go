package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
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
// run on every replica (the lease lets one of them work at a time).
type mirrors struct {
	store   mirrorStore
	health  *storehealth.Health // nil without Redis
	owner   string
	metrics *metrics.Metrics
	logger  *slog.Logger
	readers map[string]*mirror.Reader // by account
	syncers []*mirror.Syncer
	// onChange, when set, gives each account's syncer its OnChange hook
	// (the events, SPEC §8).
	onChange func(account string) func(mirror.Change, domain.Call)
}

func newMirrors(st *stores, m *metrics.Metrics, logger *slog.Logger) *mirrors {
	return &mirrors{store: st.mirror, health: st.health, owner: replicaName(), metrics: m, logger: logger,
		readers: make(map[string]*mirror.Reader)}
}

// forAccount returns the reader of pw's mirror, building it and its syncer
// on the account's first tenant; upstream is that tenant's Phonewagon
// service (its client waits on the account's budget, in the background lane
// that the syncer's context carries).
func (ms *mirrors) forAccount(pw *config.Phonewagon, upstream mirror.CallLister) (*mirror.Reader, error) {
	account := pw.Account()
	if r, ok := ms.readers[account]; ok {
		return r, nil
	}
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
	retention := pw.Mirror.Retention
	ms.metrics.WatchMirror(label, func(ctx context.Context) (metrics.MirrorSnapshot, error) {
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
	ms.readers[account] = r
	ms.syncers = append(ms.syncers, s)
	return r, nil
}

// start runs every syncer until the returned stop is called; stop waits
// for them to finish, each releasing a lease it held so that another
// replica takes over at once.
func (ms *mirrors) start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for _, s := range ms.syncers {
		wg.Go(func() { s.Run(ctx) })
	}
	return func() {
		cancel()
		wg.Wait()
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
