package phonewagon

import (
	"context"
	"fmt"
	"net/url"

	"switchboard/internal/domain"
)

// campaign is one element of the vendor's "campaigns" list.
type campaign struct {
	ID   flexString `json:"id"`
	Name flexString `json:"name"`
}

// Campaigns lists the campaigns of one company. companyID is required; the
// vendor's campaign records do not name their company, so each returned
// Campaign's CompanyID is the companyID asked for.
//
// Phonewagon API: GET /campaigns?company_id=
func (c *Client) Campaigns(ctx context.Context, companyID string) ([]domain.Campaign, *Response, error) {
	const op = "phonewagon: list campaigns"
	if companyID == "" {
		return nil, nil, fmt.Errorf("%s: %w", op,
			domain.ValidationError(domain.FieldError{Field: "company_id", Message: "is required"}))
	}
	u := c.endpointURL("/campaigns", url.Values{"company_id": {companyID}})
	body, resp, err := c.get(ctx, "campaigns", u, smallBodyLimit)
	if err != nil {
		return nil, resp, fmt.Errorf("%s: %w", op, err)
	}
	campaigns, err := decodeCampaigns(body, companyID)
	if err != nil {
		return nil, resp, fmt.Errorf("%s: %w", op, err)
	}
	return campaigns, resp, nil
}

// decodeCampaigns decodes and normalizes a /campaigns body.
func decodeCampaigns(body []byte, companyID string) ([]domain.Campaign, error) {
	raw, _, err := decodeEnvelope(body, "campaigns")
	if err != nil {
		return nil, err
	}
	list, err := decodeList[campaign](raw, "campaigns")
	if err != nil {
		return nil, err
	}
	out := make([]domain.Campaign, 0, len(list))
	for i, v := range list {
		if v.ID == "" {
			return nil, missingID("campaigns", i)
		}
		out = append(out, domain.Campaign{
			ID:        string(v.ID),
			Source:    domain.SourcePhonewagon,
			Name:      string(v.Name),
			CompanyID: companyID,
		})
	}
	return out, nil
}
