package events

import "context"

// EndpointStatus is one endpoint's delivery state (GET /v1/webhooks).
type EndpointStatus struct {
	Endpoint
	Disabled         bool
	Backlog          int64
	Success, Failure Result
}

// Status returns the delivery state of tenant's endpoints, in their order.
func (d *Dispatcher) Status(ctx context.Context, tenant string) ([]EndpointStatus, error) {
	var out []EndpointStatus
	for _, ep := range d.endpoints {
		if ep.Tenant != tenant {
			continue
		}
		st := EndpointStatus{Endpoint: ep.Endpoint, Disabled: ep.isDisabled()}
		var err error
		if st.Backlog, err = d.cfg.Queue.Backlog(ctx, ep.Account, ep.Group()); err != nil {
			return nil, err
		}
		if st.Success, st.Failure, err = d.cfg.Queue.Results(ctx, ep.Account, ep.Group()); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}
