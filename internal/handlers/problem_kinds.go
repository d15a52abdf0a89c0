package handlers

import (
	"net/http"

	"switchboard/internal/domain"
)

// problemKind is one row of the slug table: the status and title of the
// problem, and the page at its type URI (/problems/<slug>) saying what it
// means and what to do.
type problemKind struct {
	status int
	title  string
	means  string
	todo   string
}

// problemKinds is the only code → status table, and the source of the
// problem pages. A code missing here is answered as internal.
var problemKinds = map[domain.Code]problemKind{
	domain.CodeValidation: {http.StatusBadRequest, "Request is invalid",
		"A query parameter, header or body field is invalid, or the upstream refused the input as it stands (then the status is 422). The errors list names each field and what is wrong with it.",
		"Fix the named fields and send the request again. Installs are given by their phone number in E.164 (GET /v1/installs lists them); automations by the id GET /v1/automations lists."},
	domain.CodeUnauthorized: {http.StatusUnauthorized, "Authentication required",
		"The request carried no bearer token, or its token was refused: expired, not yet valid, signed with another key or algorithm, for another audience, or missing a required claim. WWW-Authenticate says which.",
		"Send Authorization: Bearer <token> with a current token for this gateway's audience. In sandbox mode the gateway prints one at start-up; in Swagger UI use Authorize."},
	domain.CodeForbidden: {http.StatusForbidden, "Forbidden",
		"The token is valid but does not grant the scope this endpoint needs, or its tenant is not configured on this gateway.",
		"Ask for a token with the scope the endpoint's description names (calls:read, messages:send, ...) and a configured tenant."},
	domain.CodeUpstreamNotConfigured: {http.StatusForbidden, "Upstream not configured for this tenant",
		"The tenant has no account on the upstream this endpoint needs (CallWidget for lookups and actions, Phonewagon for companies, campaigns and calls).",
		"Add the upstream's account to the tenant in the tenants file, or use a tenant that has one."},
	domain.CodeNotFound: {http.StatusNotFound, "Not found",
		"Nothing exists at this path, or the record it names (an automation, a call) does not exist for this tenant.",
		"Check the path against the API reference at /docs, and the id against the list endpoint it comes from."},
	domain.CodeMethodNotAllowed: {http.StatusMethodNotAllowed, "Method not allowed",
		"The path exists but does not accept this method.",
		"Use one of the methods the Allow header lists."},
	domain.CodeUnsupportedMediaType: {http.StatusUnsupportedMediaType, "Unsupported media type",
		"The request body is not JSON, or the Accept header asks for a format the endpoint does not produce.",
		"Send Content-Type: application/json with a JSON body; for exports accept application/x-ndjson or text/csv."},
	domain.CodePayloadTooLarge: {http.StatusRequestEntityTooLarge, "Payload too large",
		"The request body is over 64 KiB.",
		"Send a smaller body: an action needs only the contact's fields."},
	domain.CodeInvalidCursor: {http.StatusBadRequest, "Invalid cursor",
		"The cursor was changed, was issued for another tenant or other filters, or is not one of this gateway's.",
		"Use next_cursor (or the Link header) of the previous page exactly as received, with the same filters; or start again without a cursor."},
	domain.CodeRateLimited: {http.StatusTooManyRequests, "Rate limit exceeded",
		"The tenant sent more requests per minute than its inbound limit allows. The X-RateLimit-* headers give the limit and what remains.",
		"Wait the seconds Retry-After gives, then retry; spread requests out or use cached answers."},
	domain.CodeUpstreamBudget: {http.StatusServiceUnavailable, "Upstream request budget exhausted",
		"The Phonewagon account's budget of requests per minute is spent, shared by every caller of that account, and no slot freed within 2 seconds.",
		"Retry after the seconds Retry-After gives. GET /v1/budget shows the budget; cached answers cost nothing."},
	domain.CodeUpstreamRateLimited: {http.StatusServiceUnavailable, "Upstream rate limited",
		"The upstream answered 429: it is rate limiting this account, and the gateway pauses the account for the time it asked.",
		"Retry after the seconds Retry-After gives."},
	domain.CodeUpstreamAuthFailed: {http.StatusBadGateway, "Upstream rejected the credentials",
		"The upstream refused the tenant's configured credentials, even after a fresh login.",
		"The gateway's operator must fix the tenant's upstream credentials; retrying will not help until then."},
	domain.CodeUpstreamTimeout: {http.StatusGatewayTimeout, "Upstream timed out",
		"The upstream did not answer in time. When the problem says \"retriable\": false, the action was sent and may have happened.",
		"A read can be retried. An action marked retriable false must not be sent again blindly: check whether it happened; a retry with the same Idempotency-Key replays this answer."},
	domain.CodeUpstreamUnavailable: {http.StatusServiceUnavailable, "Upstream unavailable",
		"The upstream is down, refused the connection or answered 503, or the gateway stopped calling it for a while after repeated failures.",
		"Retry after the seconds Retry-After gives."},
	domain.CodeUpstreamError: {http.StatusBadGateway, "Upstream error",
		"The upstream answered with an error or an answer the gateway could not read.",
		"Retry later; if it persists, report the request_id to the gateway's operator."},
	domain.CodeIdempotencyKeyReused: {http.StatusUnprocessableEntity, "Idempotency key reused with another request",
		"This Idempotency-Key was used in the last 24 hours with another request body.",
		"Use a new key for a new request; reuse a key only to retry the very same request."},
	domain.CodeIdempotencyKeyInUse: {http.StatusConflict, "Idempotency key in use",
		"A request with this Idempotency-Key is still being processed.",
		"Wait for the first request to finish, then retry with the same key to get its answer."},
	domain.CodeMirrorNotConfigured: {http.StatusForbidden, "No call-history mirror for this tenant",
		"The tenant's Phonewagon account keeps no call-history mirror, which GET /v1/sync and GET /v1/calls/{id} read.",
		"Add a mirror block to the account's phonewagon section in the tenants file (see the README), or use GET /v1/calls, which works without one."},
	domain.CodeInternal: {http.StatusInternalServerError, "Internal error",
		"The gateway failed in a way it did not expect; the details are in its log under the request_id.",
		"Retry later; if it persists, report the request_id to the gateway's operator."},
}
