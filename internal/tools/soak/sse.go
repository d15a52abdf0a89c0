package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// zeroEventID precedes every event id: resuming after it replays every
// kept event (SPEC §8: an id older than the oldest kept replays from it).
const zeroEventID = "0-0"

// sseKind is how an SSE client behaves.
type sseKind string

const (
	// sseSteady stays connected; it reconnects (with Last-Event-ID) only
	// when the stream ends: a replica killed or a slow-client cut.
	sseSteady sseKind = "steady"
	// sseHopHeader drops its stream every 10–20 s and resumes on the next
	// replica with the Last-Event-ID header.
	sseHopHeader sseKind = "hop-header"
	// sseHopQuery does the same with the last_event_id query parameter.
	sseHopQuery sseKind = "hop-query"
)

// streamEvent is one event as a stream or the log replay carried it.
type streamEvent struct {
	ID     string
	Type   string
	CallID string
}

// sseClient follows one tenant's GET /v1/events across replicas. Its
// first connection resumes after zeroEventID, so it should see every
// event recorded from the start. It is safe for concurrent use.
type sseClient struct {
	Tenant *tenantState
	Kind   sseKind
	http   *http.Client

	mu         sync.Mutex
	last       string // the last id received
	got        map[string]bool
	order      []string
	duplicates int // ids received again
	outOfOrder int // ids not above the one before
	connects   int
	statuses   map[int]int // answers other than 200, by status
}

func newSSEClient(t *tenantState, kind sseKind) *sseClient {
	tr := &http.Transport{MaxIdleConnsPerHost: 1, IdleConnTimeout: time.Second}
	return &sseClient{Tenant: t, Kind: kind, http: &http.Client{Transport: tr},
		last: zeroEventID, got: map[string]bool{}, statuses: map[int]int{}}
}

// Name is "<tenant>.<kind>" in the report.
func (c *sseClient) Name() string { return c.Tenant.ID + "." + string(c.Kind) }

// run follows the stream until ctx ends.
func (c *sseClient) run(ctx context.Context, rs []*replica, seed uint64) {
	defer c.http.CloseIdleConnections()
	rng := rand.New(rand.NewPCG(seed, 7))
	for ctx.Err() == nil {
		hold := time.Duration(0)
		if c.Kind != sseSteady {
			hold = 10*time.Second + time.Duration(rng.Int64N(int64(10*time.Second)))
		}
		if err := c.once(ctx, c.Tenant.pick(rs), hold); err != nil && ctx.Err() == nil {
			sleepCtx(ctx, 500*time.Millisecond+time.Duration(rng.Int64N(int64(500*time.Millisecond))))
		}
	}
}

// once opens one stream resuming after the last id and reads it until it
// ends, ctx ends, or hold (when positive) passes.
func (c *sseClient) once(ctx context.Context, r *replica, hold time.Duration) error {
	if hold > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, hold)
		defer cancel()
	}
	c.mu.Lock()
	last := c.last
	c.connects++
	c.mu.Unlock()
	u := r.URL() + "/v1/events"
	if c.Kind == sseHopQuery {
		u += "?last_event_id=" + url.QueryEscape(last)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Tenant.Token.Reveal())
	req.Header.Set("Accept", "text/event-stream")
	if c.Kind != sseHopQuery {
		req.Header.Set("Last-Event-ID", last)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.mu.Lock()
		c.statuses[resp.StatusCode]++
		c.mu.Unlock()
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return readStream(resp.Body, func(e streamEvent) bool { c.receive(e); return true }, nil)
}

// receive records one event.
func (c *sseClient) receive(e streamEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.got[e.ID] {
		c.duplicates++
		return
	}
	if !eventIDLess(c.last, e.ID) {
		c.outOfOrder++
	}
	c.got[e.ID] = true
	c.order = append(c.order, e.ID)
	if eventIDLess(c.last, e.ID) {
		c.last = e.ID
	}
}

// hasAll reports whether the client received every id in want.
func (c *sseClient) hasAll(want []string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range want {
		if !c.got[id] {
			return false
		}
	}
	return true
}

// sseTally is what an SSE client saw.
type sseTally struct {
	Got                              map[string]bool
	Received                         int
	Duplicates, OutOfOrder, Connects int
	Statuses                         map[int]int
}

func (c *sseClient) tally() sseTally {
	c.mu.Lock()
	defer c.mu.Unlock()
	got := make(map[string]bool, len(c.got))
	for k := range c.got {
		got[k] = true
	}
	st := make(map[int]int, len(c.statuses))
	for k, v := range c.statuses {
		st[k] = v
	}
	return sseTally{Got: got, Received: len(c.order), Duplicates: c.duplicates, OutOfOrder: c.outOfOrder,
		Connects: c.connects, Statuses: st}
}

// readStream parses a text/event-stream body, calling onEvent for every
// event (until it returns false) and onComment for every comment line.
// It returns nil when the body ends or onEvent stops it.
func readStream(body io.Reader, onEvent func(streamEvent) bool, onComment func(string) bool) error {
	br := bufio.NewReaderSize(body, 64<<10)
	var id, typ string
	var data []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if len(data) > 0 || id != "" {
				e := streamEvent{ID: id, Type: typ}
				var ev struct {
					ID   string `json:"id"`
					Data struct {
						ID string `json:"id"`
					} `json:"data"`
				}
				if json.Unmarshal([]byte(strings.Join(data, "\n")), &ev) == nil {
					e.CallID = ev.Data.ID
					if e.ID == "" {
						e.ID = ev.ID
					}
				}
				if !onEvent(e) {
					return nil
				}
			}
			id, typ, data = "", "", nil
		case strings.HasPrefix(line, ":"):
			if onComment != nil && !onComment(strings.TrimSpace(line[1:])) {
				return nil
			}
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "id":
				id = value
			case "event":
				typ = value
			case "data":
				data = append(data, value)
			}
		}
	}
}

// readLog replays a tenant's kept events from the oldest (GET /v1/events
// after zeroEventID) up to the ": live" comment that ends the replay. A
// refusal with Retry-After (the tenant's inbound limit, Redis unreachable)
// is asked again after it, for up to refusedFor.
func readLog(ctx context.Context, r *replica, t *tenantState) ([]streamEvent, error) {
	deadline := time.Now().Add(refusedFor)
	for {
		evs, wait, err := readLogOnce(ctx, r, t)
		if wait <= 0 || time.Now().Add(wait).After(deadline) {
			return evs, err
		}
		if !sleepCtx(ctx, wait) {
			return nil, ctx.Err()
		}
	}
}

// readLogOnce is one replay; wait is a refusal's Retry-After.
func readLogOnce(ctx context.Context, r *replica, t *tenantState) (_ []streamEvent, wait time.Duration, _ error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL()+"/v1/events", nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+t.Token.Reveal())
	req.Header.Set("Last-Event-ID", zeroEventID)
	cl := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := cl.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("replay the events of %s: %w", t.ID, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			wait = time.Duration(secs) * time.Second
		}
		return nil, wait, fmt.Errorf("replay the events of %s: status %d", t.ID, resp.StatusCode)
	}
	var out []streamEvent
	live := false
	err = readStream(resp.Body, func(e streamEvent) bool { out = append(out, e); return true },
		func(c string) bool { live = c == "live"; return !live })
	if err != nil {
		return nil, 0, fmt.Errorf("replay the events of %s: %w", t.ID, err)
	}
	if !live {
		return nil, 0, fmt.Errorf("replay the events of %s: the stream ended before its replay did", t.ID)
	}
	return out, 0, nil
}

// eventIDLess orders event ids ("<ms>-<seq>"); an id that does not parse
// orders first.
func eventIDLess(a, b string) bool {
	pa, pb := parseEventID(a), parseEventID(b)
	return slices.Compare(pa[:], pb[:]) < 0
}

func parseEventID(s string) [2]uint64 {
	ms, seq, _ := strings.Cut(s, "-")
	a, _ := strconv.ParseUint(ms, 10, 64)
	b, _ := strconv.ParseUint(seq, 10, 64)
	return [2]uint64{a, b}
}
