package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"switchboard/internal/domain"
	"switchboard/internal/handlers"
)

// setProblemExample gives an error response an example problem that fits
// its status and operation, rendered by the gateway's own problem writer
// (handlers.ExampleProblem) so that titles and types match the slug table.
func setProblemExample(resp *yaml.Node, method, path string, status int) error {
	mt := get(get(resp, "content"), "application/problem+json")
	if mt == nil {
		return nil
	}
	e := exampleError(method, path, status)
	if e == nil {
		return fmt.Errorf("%s %s: no example problem for status %d", method, path, status)
	}
	p, err := handlers.ExampleProblem(e)
	if err != nil {
		return err
	}
	if p.Status != status {
		return fmt.Errorf("%s %s: the example for %d is a %d problem", method, path, status, p.Status)
	}
	// Through JSON, so the example has exactly the problem's JSON names.
	raw, _ := json.Marshal(p)
	var v map[string]any
	_ = json.Unmarshal(raw, &v)
	set(mt, "example", nodeOf(v))
	return nil
}

// upstreamOf names the upstream an operation calls.
func upstreamOf(path string) string {
	for _, p := range []string{"/v1/calls", "/v1/companies", "/v1/campaigns", "/v1/budget", "/v1/sync"} {
		if strings.HasPrefix(path, p) {
			return "Phonewagon"
		}
	}
	return "CallWidget"
}

// exampleError is a typical error of status on an operation.
func exampleError(method, path string, status int) *domain.Error {
	post := method == "post"
	up := upstreamOf(path)
	switch status {
	case 400:
		switch {
		case post:
			return domain.ValidationError(domain.FieldError{Field: "phone",
				Message: "must be in E.164 format: '+', the country code and the number, digits only (e.g. +17862455063)"})
		case strings.HasPrefix(path, "/v1/campaigns"):
			return domain.ValidationError(domain.FieldError{Field: "company_id", Message: "must be a company id from GET /v1/companies"})
		case strings.HasPrefix(path, "/v1/calls/export"):
			return domain.ValidationError(domain.FieldError{Field: "since", Message: "must be an RFC 3339 time, e.g. 2026-01-01T00:00:00Z"})
		}
		return domain.ValidationError(domain.FieldError{Field: "limit", Message: "must be between 1 and 1000"})
	case 401:
		return domain.Errorf(domain.CodeUnauthorized, "token expired")
	case 403:
		return domain.Errorf(domain.CodeForbidden, "the token lacks the scope this operation needs")
	case 404:
		if strings.Contains(path, "/automations/") {
			return domain.Errorf(domain.CodeNotFound, "automation 99 does not exist for this tenant")
		}
		return domain.Errorf(domain.CodeNotFound, "no resource at this path; the API reference is at /docs")
	case 409:
		return domain.Errorf(domain.CodeIdempotencyKeyInUse, "a request with this Idempotency-Key is still in flight; retry when it has finished")
	case 413:
		return domain.Errorf(domain.CodePayloadTooLarge, "the request body exceeds %d bytes", domain.MaxBodyBytes)
	case 415:
		return domain.Errorf(domain.CodeUnsupportedMediaType, "the request body must be JSON (Content-Type: application/json)")
	case 422:
		e := domain.ValidationError(domain.FieldError{Field: "install", Message: "The selected install is invalid."})
		e.Unprocessable = true
		return e
	case 429:
		return domain.Errorf(domain.CodeRateLimited, "this tenant's request limit is reached; retry after the Retry-After delay")
	case 502:
		return domain.Errorf(domain.CodeUpstreamError, "%s answered with an unexpected status 500", up)
	case 503:
		if up == "Phonewagon" {
			return domain.Errorf(domain.CodeUpstreamBudget, "the Phonewagon request budget is spent; retry after the Retry-After delay")
		}
		return domain.Errorf(domain.CodeUpstreamUnavailable, "%s is unavailable", up)
	case 504:
		e := domain.Errorf(domain.CodeUpstreamTimeout, "%s did not answer in time", up)
		e.NotRetriable = post
		return e
	}
	return nil
}
