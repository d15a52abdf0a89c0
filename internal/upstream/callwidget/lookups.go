package callwidget

import (
	"context"
	"fmt"

	"switchboard/internal/domain"
)

// Installs lists the account's installs: the phone numbers the widget calls
// and texts from. Phone is the install's name in E.164 when the name is a
// phone number in international format, else nil.
//
// CallWidget API: GET /share/installs
func (c *Client) Installs(ctx context.Context) ([]domain.Install, *Response, error) {
	const op = "callwidget: list installs"
	recs, resp, err := c.lookups(ctx, "/share/installs")
	if err != nil {
		return nil, resp, fmt.Errorf("%s: %w", op, err)
	}
	out := make([]domain.Install, len(recs))
	for i, r := range recs {
		out[i] = domain.Install{
			ID:     r.ID,
			Source: domain.SourceCallWidget,
			Phone:  phoneOf(r.Name),
			Name:   r.Name,
			Label:  r.Label,
		}
	}
	return out, resp, nil
}

// Departments lists the account's departments.
//
// CallWidget API: GET /share/departments
func (c *Client) Departments(ctx context.Context) ([]domain.Lookup, *Response, error) {
	return c.lookupList(ctx, "callwidget: list departments", "/share/departments")
}

// Tags lists the account's contact tags.
//
// CallWidget API: GET /share/tags
func (c *Client) Tags(ctx context.Context) ([]domain.Lookup, *Response, error) {
	return c.lookupList(ctx, "callwidget: list tags", "/share/tags")
}

// Automations lists the account's automations, whose ids run one on a
// contact.
//
// CallWidget API: GET /share/automations
func (c *Client) Automations(ctx context.Context) ([]domain.Lookup, *Response, error) {
	return c.lookupList(ctx, "callwidget: list automations", "/share/automations")
}

// lookupList fetches one of the {id, name, label} lists as domain.Lookups.
func (c *Client) lookupList(ctx context.Context, op, path string) ([]domain.Lookup, *Response, error) {
	recs, resp, err := c.lookups(ctx, path)
	if err != nil {
		return nil, resp, fmt.Errorf("%s: %w", op, err)
	}
	out := make([]domain.Lookup, len(recs))
	for i, r := range recs {
		out[i] = domain.Lookup{ID: r.ID, Source: domain.SourceCallWidget, Name: r.Name, Label: r.Label}
	}
	return out, resp, nil
}

// lookups fetches and decodes one lookup list.
func (c *Client) lookups(ctx context.Context, path string) ([]lookupRecord, *Response, error) {
	body, resp, err := c.get(ctx, path)
	if err != nil {
		return nil, resp, err
	}
	recs, err := decodeLookups(body)
	if err != nil {
		return nil, resp, domain.Wrap(err, domain.CodeUpstreamError, displayName+" returned a malformed list")
	}
	return recs, resp, nil
}
