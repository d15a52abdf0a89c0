package phonewagon

import (
	"context"
	"fmt"

	"switchboard/internal/domain"
)

// company is one element of the vendor's "companies" list.
type company struct {
	ID   flexString `json:"id"`
	Name flexString `json:"name"`
}

// Companies lists the account's companies.
//
// Phonewagon API: GET /companies
func (c *Client) Companies(ctx context.Context) ([]domain.Company, *Response, error) {
	const op = "phonewagon: list companies"
	body, resp, err := c.get(ctx, "companies", c.endpointURL("/companies", nil), smallBodyLimit)
	if err != nil {
		return nil, resp, fmt.Errorf("%s: %w", op, err)
	}
	companies, err := decodeCompanies(body)
	if err != nil {
		return nil, resp, fmt.Errorf("%s: %w", op, err)
	}
	return companies, resp, nil
}

// decodeCompanies decodes and normalizes a /companies body.
func decodeCompanies(body []byte) ([]domain.Company, error) {
	raw, _, err := decodeEnvelope(body, "companies")
	if err != nil {
		return nil, err
	}
	list, err := decodeList[company](raw, "companies")
	if err != nil {
		return nil, err
	}
	out := make([]domain.Company, 0, len(list))
	for i, v := range list {
		if v.ID == "" {
			return nil, missingID("companies", i)
		}
		out = append(out, domain.Company{ID: string(v.ID), Source: domain.SourcePhonewagon, Name: string(v.Name)})
	}
	return out, nil
}
