package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"switchboard/internal/sandbox/phonewagonsim"
)

// Timings of the mirror's checks.
const (
	syncSampleEvery = 2 * time.Second
	// mirrorCatchUp bounds the wait, after the load, for a follow that
	// started after the simulator's snapshot to complete.
	mirrorCatchUp = 60 * time.Second
)

// mirrorTarget is one mirrored account and the tenant the soak reads it
// through.
type mirrorTarget struct {
	Account string
	Tenant  *tenantState
}

// mirrorTargets are the mirrored accounts, each read through its first
// tenant.
func mirrorTargets(ts []*tenantState) []mirrorTarget {
	var out []mirrorTarget
	seen := map[int]bool{}
	for i, spec := range topology() {
		if spec.Mirror && !seen[spec.PWAccount] {
			seen[spec.PWAccount] = true
			out = append(out, mirrorTarget{Account: pwClientID(spec.PWAccount), Tenant: ts[i]})
		}
	}
	return out
}

// syncState is GET /v1/sync's answer.
type syncState struct {
	State    string     `json:"state"`
	SyncedAt *time.Time `json:"synced_at"`
	Calls    int        `json:"calls"`
}

// getSync reads a tenant's GET /v1/sync.
func getSync(ctx context.Context, hc *http.Client, r *replica, t *tenantState) (syncState, error) {
	var st syncState
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL()+"/v1/sync", nil)
	if err != nil {
		return st, err
	}
	req.Header.Set("Authorization", "Bearer "+t.Token.Reveal())
	resp, err := hc.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return st, err
	}
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("GET /v1/sync: status %d", resp.StatusCode)
	}
	return st, json.Unmarshal(body, &st)
}

// syncSampler reads every mirrored account's GET /v1/sync during the load
// and keeps the sync lag: the time since synced_at (the start of the last
// completed follow). While synced_at is unknown (the state was lost with
// Redis, the mirror backfills again) the lag runs on from the last one
// seen. It is safe for concurrent use.
type syncSampler struct {
	mu       sync.Mutex
	lags     []time.Duration
	failures int            // samples that got no 200
	states   map[string]int // samples by state
	last     map[string]time.Time
}

// runSyncSampler samples until ctx ends.
func runSyncSampler(ctx context.Context, rs []*replica, targets []mirrorTarget) *syncSampler {
	s := &syncSampler{states: map[string]int{}, last: map[string]time.Time{}}
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		tick := time.NewTicker(syncSampleEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			for _, tg := range targets {
				st, err := getSync(ctx, hc, tg.Tenant.pick(rs), tg.Tenant)
				now := time.Now()
				s.mu.Lock()
				switch {
				case err != nil:
					if ctx.Err() == nil {
						s.failures++
					}
				default:
					s.states[st.State]++
					if st.SyncedAt != nil && st.SyncedAt.After(s.last[tg.Account]) {
						s.last[tg.Account] = *st.SyncedAt
					}
					if l, ok := s.last[tg.Account]; ok {
						s.lags = append(s.lags, now.Sub(l))
					}
				}
				s.mu.Unlock()
			}
		}
	}()
	return s
}

// syncSummary is what the sampler saw.
type syncSummary struct {
	Samples       int
	Failures      int
	P50, P99, Max time.Duration
	States        map[string]int
}

func (s *syncSampler) summarize() syncSummary {
	s.mu.Lock()
	defer s.mu.Unlock()
	lags := slices.Clone(s.lags)
	slices.Sort(lags)
	out := syncSummary{Samples: len(lags), Failures: s.failures, P50: percentile(lags, 50), P99: percentile(lags, 99),
		States: s.states}
	if len(lags) > 0 {
		out.Max = lags[len(lags)-1]
	}
	return out
}

// mirrorCheck compares one mirrored account's mirror with the simulator.
type mirrorCheck struct {
	Account string
	// SimulatorCalls is how many calls the simulator held at the snapshot.
	SimulatorCalls int
	// MirrorCalls is how many records the walk of GET /v1/calls returned.
	MirrorCalls int
	// Missing: calls of the snapshot the mirror did not serve.
	Missing int
	// Duplicated: records served more than once by the walk.
	Duplicated int
	// Extra: records served that the simulator never held.
	Extra int
	// Stale: records whose status or duration match neither the snapshot
	// nor the simulator's record after the walk.
	Stale int
	// NotMirror: pages of the walk not answered from the mirror.
	NotMirror int
	// CaughtUp: a follow that started after the snapshot completed before
	// the walk; false means the walk ran on an older mirror.
	CaughtUp bool
	Err      string
	Examples []string
}

// checkMirror snapshots the simulator's calls of tg's account, waits for a
// follow begun after the snapshot to complete (GET /v1/sync's synced_at),
// then walks every page of GET /v1/calls (limit 1000) and compares.
func checkMirror(ctx context.Context, rs []*replica, pw *phonewagonsim.Server, tg mirrorTarget) mirrorCheck {
	out := mirrorCheck{Account: tg.Account}
	snap, _ := pw.Dataset(tg.Account)
	snapAt := time.Now()
	out.SimulatorCalls = len(snap.Calls)
	hc := &http.Client{Timeout: 30 * time.Second}
	defer hc.CloseIdleConnections()
	deadline := time.Now().Add(mirrorCatchUp)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		st, err := getSync(ctx, hc, tg.Tenant.pick(rs), tg.Tenant)
		if err == nil && st.SyncedAt != nil && st.SyncedAt.After(snapAt) {
			out.CaughtUp = true
			break
		}
		sleepCtx(ctx, time.Second)
	}
	type rec struct {
		ID              string  `json:"id"`
		Status          *string `json:"status"`
		DurationSeconds *int64  `json:"duration_seconds"`
	}
	var walked []rec
	cursor := ""
	for page := 0; ; page++ {
		q := url.Values{"limit": {"1000"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		status, header, body, err := getRefusedAgain(ctx, hc, rs, tg.Tenant, "/v1/calls?"+q.Encode())
		if err != nil || status != http.StatusOK {
			out.Err = fmt.Sprintf("page %d: status %d %v", page, status, err)
			break
		}
		if header.Get("X-Cache") != "MIRROR" {
			out.NotMirror++
		}
		var p struct {
			Data       []rec   `json:"data"`
			NextCursor *string `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			out.Err = fmt.Sprintf("page %d: %v", page, err)
			break
		}
		walked = append(walked, p.Data...)
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	after, _ := pw.Dataset(tg.Account)
	out.MirrorCalls = len(walked)
	byID := func(d phonewagonsim.Dataset) map[string]phonewagonsim.Call {
		m := make(map[string]phonewagonsim.Call, len(d.Calls))
		for _, c := range d.Calls {
			m[strconv.FormatInt(c.ID, 10)] = c
		}
		return m
	}
	before, now := byID(snap), byID(after)
	example := func(format string, args ...any) {
		if len(out.Examples) < maxSamples {
			out.Examples = append(out.Examples, fmt.Sprintf(format, args...))
		}
	}
	seen := map[string]int{}
	for _, r := range walked {
		seen[r.ID]++
		if seen[r.ID] > 1 {
			out.Duplicated++
			example("%s: call %s served twice", tg.Account, r.ID)
			continue
		}
		c, ok := now[r.ID]
		if !ok {
			out.Extra++
			example("%s: call %s served, never held by the simulator", tg.Account, r.ID)
			continue
		}
		if !sameState(r.Status, r.DurationSeconds, c) && !sameState(r.Status, r.DurationSeconds, before[r.ID]) {
			out.Stale++
			example("%s: call %s served as %v/%v, the simulator has %s/%d", tg.Account, r.ID, deref(r.Status), deref(r.DurationSeconds), c.Status, c.Duration)
		}
	}
	if out.Err == "" {
		for id := range before {
			if seen[id] == 0 {
				out.Missing++
				example("%s: call %s (started %s) not served", tg.Account, id, time.UnixMilli(before[id].StartTime).UTC().Format(time.RFC3339))
			}
		}
	}
	return out
}

// sameState compares a served record's status and duration with the
// simulator's record (an empty status or a zero duration of an in-progress
// call is served as null).
func sameState(status *string, dur *int64, c phonewagonsim.Call) bool {
	if c.ID == 0 {
		return false
	}
	if deref(status) != c.Status {
		return false
	}
	return deref(dur) == c.Duration
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// failed reports whether a required zero of the check is not zero.
func (m mirrorCheck) failed() bool {
	return m.Missing > 0 || m.Duplicated > 0 || m.Extra > 0 || m.Stale > 0 || m.NotMirror > 0 || !m.CaughtUp || m.Err != ""
}

// refusedFor bounds how long a read of the checks is retried while the
// tenant's inbound limit (which the load may have spent) refuses it.
const refusedFor = 2 * time.Minute

// getRefusedAgain GETs path for t on the next replica and, while the
// answer is a 429 or 503 with Retry-After, waits that long and asks again,
// for up to refusedFor.
func getRefusedAgain(ctx context.Context, hc *http.Client, rs []*replica, t *tenantState, path string) (int, http.Header, []byte, error) {
	deadline := time.Now().Add(refusedFor)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.pick(rs).URL()+path, nil)
		if err != nil {
			return 0, nil, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+t.Token.Reveal())
		resp, err := hc.Do(req)
		if err != nil {
			return 0, nil, nil, err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		if err != nil {
			return resp.StatusCode, resp.Header, nil, err
		}
		wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		refused := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable
		if !refused || wait <= 0 || time.Now().Add(time.Duration(wait)*time.Second).After(deadline) {
			return resp.StatusCode, resp.Header, body, nil
		}
		if !sleepCtx(ctx, time.Duration(wait)*time.Second) {
			return resp.StatusCode, resp.Header, body, ctx.Err()
		}
	}
}
