package main

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"switchboard/internal/auth"
	"switchboard/internal/domain"
	"switchboard/internal/sandbox/callwidgetsim"
)

// maxCursors bounds each tenant's pool of next pages waiting to be
// followed; older ones are dropped.
const maxCursors = 32

// tenantState is what the workload knows of one tenant: its caller token,
// the upstream ids its requests may name, and the next pages to follow.
// It is safe for concurrent use.
type tenantState struct {
	ID        string
	Token     domain.Secret
	Installs  []string // E.164 numbers of its CallWidget installs
	Companies []string
	Campaigns []string

	turn atomic.Uint64 // round robin over the replicas

	mu      sync.Mutex
	cursors []string // request paths of next pages, oldest first
}

// newTenantStates mints a token for every tenant (every scope, valid for
// the run and an hour more) and reads its ids from the simulators' data.
func newTenantStates(secret domain.Secret, up *upstreams, valid time.Duration) ([]*tenantState, error) {
	var out []*tenantState
	now := time.Now()
	for _, spec := range topology() {
		tok, err := auth.SignHS256(secret, auth.Claims{
			Subject: "soak", Tenant: spec.ID, Audience: []string{"switchboard"},
			Scopes: auth.KnownScopes(), IssuedAt: now, ExpiresAt: now.Add(valid + time.Hour),
		})
		if err != nil {
			return nil, fmt.Errorf("tenant %s: %w", spec.ID, err)
		}
		t := &tenantState{ID: spec.ID, Token: domain.Secret(tok)}
		cw, ok := up.cw.Dataset(cwEmail(spec.CWUser))
		if !ok || len(cw.Installs) == 0 {
			return nil, fmt.Errorf("tenant %s: no CallWidget installs", spec.ID)
		}
		t.Installs = installNumbers(cw.Installs)
		pw, ok := up.pw.Dataset(pwClientID(spec.PWAccount))
		if !ok || len(pw.Companies) == 0 || len(pw.Campaigns) == 0 {
			return nil, fmt.Errorf("tenant %s: no Phonewagon companies or campaigns", spec.ID)
		}
		// Two of each keep the set of distinct queries small enough for
		// the cache to matter.
		for _, c := range pw.Companies[:min(2, len(pw.Companies))] {
			t.Companies = append(t.Companies, strconv.FormatInt(c.ID, 10))
		}
		for _, c := range pw.Campaigns[:min(2, len(pw.Campaigns))] {
			t.Campaigns = append(t.Campaigns, c.ID)
		}
		out = append(out, t)
	}
	return out, nil
}

func installNumbers(in []callwidgetsim.Install) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = v.Number
	}
	return out
}

// pick returns the next replica in this tenant's round robin, skipping
// one that is down (being killed and restarted).
func (t *tenantState) pick(rs []*replica) *replica {
	var r *replica
	for range rs {
		r = rs[int(t.turn.Add(1)%uint64(len(rs)))]
		if !r.down.Load() {
			return r
		}
	}
	return r
}

// pushCursor keeps a next page to follow later, usually on another replica.
func (t *tenantState) pushCursor(path string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.cursors) == maxCursors {
		t.cursors = t.cursors[1:]
	}
	t.cursors = append(t.cursors, path)
}

// popCursor takes the newest next page, if any.
func (t *tenantState) popCursor() (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.cursors) == 0 {
		return "", false
	}
	p := t.cursors[len(t.cursors)-1]
	t.cursors = t.cursors[:len(t.cursors)-1]
	return p, true
}
