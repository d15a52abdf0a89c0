package events

import (
	"context"
	"slices"
)

// EndpointStatus is one endpoint's delivery state (GET /v1/webhooks).
type EndpointStatus struct {
	Endpoint
	Disabled         bool
	Backlog          int64
	Success, Failure Result
}

// Status returns the delivery state of tenant's endpoints in force, in
// their order.
func (d *Dispatcher) Status(ctx context.Context, tenant string) ([]EndpointStatus, error) {
	d.mu.Lock()
	eps := slices.Clone(d.endpoints)
	d.mu.Unlock()
	var out []EndpointStatus
	for _, ep := range eps {
		cfg, _ := ep.settings()
		if cfg.Tenant != tenant {
			continue
		}
		st := EndpointStatus{Endpoint: cfg, Disabled: ep.isDisabled()}
		var err error
		if st.Backlog, err = d.cfg.Queue.Backlog(ctx, ep.account, ep.group); err != nil {
			return nil, err
		}
		if st.Success, st.Failure, err = d.cfg.Queue.Results(ctx, ep.account, ep.group); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}
