package events

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
)

// An endpoint's identity across reloads is its account, tenant and URL
// (endpointKey). The consumer group that holds its delivery state in the
// shared queue is named by tenant and URL (Endpoint.Group) on the
// account's log, so the identity is what every replica can compute alike
// from its own tenants file, whatever the order of the list:
//   - an endpoint whose position in the list, event types or secret change
//     is the same endpoint: its pending attempts keep their webhook-id and
//     retry schedule, the next attempt uses the new settings;
//   - an endpoint whose URL (or tenant, or account) changes is another
//     one: the old is removed, its backlog given up and counted; the new
//     receives what is recorded after the reload.
//
// The position alone would not do: inserting an entry at the top of a
// list would hand every endpoint's backlog, and its webhook-ids, to its
// neighbour's URL, and two replicas reloading a moment apart would send
// one group's events to two different receivers.
func endpointKey(e Endpoint) string {
	return e.Account + "\x00" + e.Group()
}

// Name is how logs and reload summaries name the endpoint: its tenant and
// position ("acme/0"), as metrics label it; never its URL.
func (e Endpoint) Name() string {
	return e.Tenant + "/" + strconv.Itoa(e.Index)
}

// newEndpointStates validates eps (each secret; no identity twice) and
// returns their states, loops not started.
func newEndpointStates(eps []Endpoint) ([]*endpointState, error) {
	out := make([]*endpointState, 0, len(eps))
	seen := make(map[string]bool, len(eps))
	for _, e := range eps {
		s, err := NewSigner(e.Secret)
		if err != nil {
			return nil, errors.New("events: dispatcher: tenant " + e.Tenant + " webhook " + strconv.Itoa(e.Index) + ": secret " + err.Error())
		}
		key := endpointKey(e)
		if seen[key] {
			return nil, errors.New("events: dispatcher: tenant " + e.Tenant + " webhook " + strconv.Itoa(e.Index) + ": the URL of an earlier webhook of the tenant")
		}
		seen[key] = true
		e.Types = slices.Clone(e.Types)
		out = append(out, &endpointState{key: key, account: e.Account, group: e.Group(), cfg: e, signer: s})
	}
	return out, nil
}

// ValidateEndpoints reports the error SetEndpoints would return for eps,
// changing nothing: a caller that applies other settings with them checks
// first, so that a reload is applied whole or not at all.
func ValidateEndpoints(eps []Endpoint) error {
	_, err := newEndpointStates(eps)
	return err
}

// EndpointChanges is what SetEndpoints changed, endpoints named by Name
// (removed ones by their former position).
type EndpointChanges struct {
	// Added receive the events recorded from now on.
	Added []string
	// Removed are stopped; the events they were owed are given up.
	Removed []string
	// Changed kept their delivery state; their position, event types or
	// secret changed.
	Changed []string
	// Enabled had been disabled by a 410 and receive again.
	Enabled []string
	// Dropped counts the events given up with the removed endpoints (by
	// this replica: another one that removed them first counted its own).
	Dropped int64
}

// SetEndpoints makes eps the endpoints delivered to, for the attempts that
// start after it (a reload). An endpoint is kept by its identity (see
// endpointKey): a kept one keeps its delivery state and its loop (an
// attempt in flight finishes), takes the new position, types and secret,
// and is enabled again if a 410 disabled it; an added one joins its group
// before SetEndpoints returns, so it receives the next event recorded; a
// removed one's loop is stopped and its delivery state dropped, the events
// it was owed counted through OnRemoved. A failure of the shared queue
// while joining or dropping is logged, not returned: an added endpoint's
// loop joins again by itself. On a validation error nothing changes.
func (d *Dispatcher) SetEndpoints(ctx context.Context, eps []Endpoint) (EndpointChanges, error) {
	next, err := newEndpointStates(eps)
	if err != nil {
		return EndpointChanges{}, err
	}
	d.swap.Lock()
	defer d.swap.Unlock()
	var ch EndpointChanges

	d.mu.Lock()
	current := make(map[string]*endpointState, len(d.endpoints))
	for _, ep := range d.endpoints {
		current[ep.key] = ep
	}
	removed := slices.Clone(d.endpoints)
	d.mu.Unlock()

	// Join the added endpoints' groups before they are published: Status
	// and the next event find them ready.
	list := make([]*endpointState, 0, len(next))
	var added []*endpointState
	for _, n := range next {
		if old, ok := current[n.key]; ok {
			switch changed, enabled := old.update(n.cfg, n.signer); {
			case enabled:
				ch.Enabled = append(ch.Enabled, n.cfg.Name())
			case changed:
				ch.Changed = append(ch.Changed, n.cfg.Name())
			}
			list = append(list, old)
			continue
		}
		if err := d.cfg.Queue.Join(ctx, n.account, n.group); err != nil {
			d.warn(ctx, n, "joining the delivery group of an added endpoint failed; retrying", err)
		}
		ch.Added = append(ch.Added, n.cfg.Name())
		list, added = append(list, n), append(added, n)
	}
	removed = slices.DeleteFunc(removed, func(ep *endpointState) bool { return slices.Contains(list, ep) })

	d.mu.Lock()
	d.endpoints = list
	for _, ep := range added {
		d.start(ep)
	}
	d.mu.Unlock()

	for _, ep := range removed {
		ep.halt()
		cfg, _ := ep.settings()
		ch.Removed = append(ch.Removed, cfg.Name())
		n, err := d.cfg.Queue.Drop(ctx, ep.account, ep.group)
		if err != nil {
			d.warn(ctx, ep, "dropping the delivery state of a removed endpoint failed", err)
			continue
		}
		ch.Dropped += n
		if d.cfg.OnRemoved != nil {
			d.cfg.OnRemoved(cfg, n)
		}
		if n > 0 {
			d.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "webhook endpoint removed by a reload: the events it was owed are given up",
				slog.String("tenant", cfg.Tenant), slog.Int("endpoint", cfg.Index), slog.Int64("dropped", n))
		}
	}
	return ch, nil
}

// settings returns the endpoint's settings and signer in force.
func (ep *endpointState) settings() (Endpoint, *Signer) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return ep.cfg, ep.signer
}

// update takes a reload's settings for the endpoint and enables it; it
// reports whether a setting changed and whether it was disabled.
func (ep *endpointState) update(cfg Endpoint, signer *Signer) (changed, enabled bool) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	changed = ep.cfg.Index != cfg.Index || !slices.Equal(ep.cfg.Types, cfg.Types) || ep.cfg.Secret != cfg.Secret
	ep.cfg, ep.signer = cfg, signer
	if enabled = ep.disabled; enabled {
		ep.disabled = false
		close(ep.enabled)
		ep.enabled = nil
	}
	return changed, enabled
}

// disable stops deliveries to the endpoint until a reload (a 410).
func (ep *endpointState) disable() {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if !ep.disabled {
		ep.disabled, ep.enabled = true, make(chan struct{})
	}
}

func (ep *endpointState) isDisabled() bool {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return ep.disabled
}

// enabledSignal returns nil while the endpoint is enabled, else a channel
// closed when a reload enables it.
func (ep *endpointState) enabledSignal() <-chan struct{} {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if !ep.disabled {
		return nil
	}
	return ep.enabled
}

// reportBacklog calls report with the settings in force, holding the
// endpoint's lock so that no report with settings a reload replaced comes
// after update returned.
func (ep *endpointState) reportBacklog(report func(Endpoint, int64), n int64) {
	if report == nil {
		return
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	report(ep.cfg, n)
}

// halt stops the endpoint's loop, if it runs, and waits for it: an
// attempt in flight is cut off.
func (ep *endpointState) halt() {
	if ep.stop != nil {
		ep.stop()
		<-ep.done
	}
}
