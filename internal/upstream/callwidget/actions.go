package callwidget

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"switchboard/internal/action"
	"switchboard/internal/domain"
	"switchboard/internal/upstream/upstreamhttp"
)

// Action names one of the vendor's action endpoints, a path below the base
// URL.
type Action string

// The action endpoints.
const (
	ActionNewContact    Action = "/share/new-contact"
	ActionNewCall       Action = "/share/new-call"
	ActionNewSMS        Action = "/share/new-sms"
	ActionNewSMSCall    Action = "/share/new-sms-call"
	ActionNewAutomation Action = "/share/new-automation"
)

// Perform carries out a validated action request of kind: it picks the
// endpoint (new-call or new-sms-call by whether a message is given) and
// builds the body the endpoint documents (see bodyFor), then sends it as
// Act does. automationID is used for enrollments only.
func (c *Client) Perform(ctx context.Context, kind action.Kind, req *action.Request, automationID string) (domain.ActionResult, *Response, error) {
	endpoint := actionFor(kind, req)
	if endpoint == "" {
		return domain.ActionResult{}, nil, domain.Errorf(domain.CodeInternal, "callwidget: no endpoint for action kind %s", kind)
	}
	body, err := json.Marshal(bodyFor(kind, req, automationID))
	if err != nil { // a struct of strings cannot fail to marshal
		return domain.ActionResult{}, nil, domain.Wrap(err, domain.CodeInternal, "callwidget: action body")
	}
	return c.Act(ctx, endpoint, body)
}

// notSentAttempts is how often an action is tried when the connection is
// refused: that failure proves the upstream never saw the request, so one
// more try cannot send a text or place a call twice.
const notSentAttempts = 2

// Act performs an action: body is the JSON object the endpoint documents.
//
// CallWidget API: POST /share/new-contact, /share/new-call, /share/new-sms,
// /share/new-sms-call, /share/new-automation
//
// Retries are limited to what provably did not reach the upstream: a
// refused connection (tried once more here) and a 401 (the auth transport
// logs in again and resends once; a 401 proves the action was not
// performed). Any other failure after the request may have been sent, a
// timeout or a reset connection, is returned with NotRetriable set, since
// the text or call may have gone out.
func (c *Client) Act(ctx context.Context, action Action, body []byte) (domain.ActionResult, *Response, error) {
	op := "callwidget: " + string(action)
	var (
		raw  []byte
		resp *Response
		err  error
	)
	for attempt := 1; attempt <= notSentAttempts; attempt++ {
		raw, resp, err = c.post(ctx, string(action), body)
		if err == nil || !errors.Is(err, errConnectionRefused) {
			break
		}
	}
	if err != nil {
		return domain.ActionResult{}, resp, fmt.Errorf("%s: %w", op, err)
	}
	res, err := decodeActionResult(raw)
	if err != nil {
		return domain.ActionResult{}, resp, fmt.Errorf("%s: %w", op, domain.Wrap(err, domain.CodeUpstreamError,
			displayName+" returned an unexpected answer"))
	}
	return res, resp, nil
}

// errConnectionRefused marks a POST whose connection could not be made: Act
// tries it once more. A POST that failed for want of a token is not tried
// again here; the token source has already done what it can.
var errConnectionRefused = errors.New("connection not made")

// post sends one POST. Its transport errors are mapped like get's, and
// marked NotRetriable unless the request provably never left (the
// connection could not be made, or no token could be had), in which case
// they carry domain.ErrNotSent.
func (c *Client) post(ctx context.Context, path string, body []byte) ([]byte, *Response, error) {
	reqCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodPost, endpointURL(c.base, path), bytes.NewReader(body))
	if err != nil {
		return nil, nil, domain.Wrap(err, domain.CodeInternal, "the upstream request could not be built")
	}
	setJSONHeaders(req.Header, true)

	hresp, err := c.http.Do(req)
	if err != nil {
		mapped := requestError(ctx, err)
		switch {
		case upstreamhttp.IsNotSent(err):
			return nil, nil, errors.Join(mapped, domain.ErrNotSent, errConnectionRefused)
		case errors.Is(err, domain.ErrNotSent):
			return nil, nil, errors.Join(mapped, domain.ErrNotSent)
		}
		return nil, nil, notRetriable(mapped)
	}
	defer closeBody(hresp)
	resp := &Response{Response: hresp}
	if hresp.StatusCode == http.StatusUnprocessableEntity {
		// The caller's input was refused and nothing was done (see refusal.go).
		return nil, resp, refusalError(hresp)
	}
	if err := checkResponse(hresp, c.now()); err != nil {
		return nil, resp, err
	}
	raw, err := upstreamhttp.ReadCapped(hresp.Body, smallBodyLimit)
	if err != nil {
		// The upstream answered 2xx: the action happened, its answer was lost.
		return nil, resp, notRetriable(bodyError(ctx, reqCtx, err))
	}
	return raw, resp, nil
}

// notRetriable marks an upstream failure after which the action may have
// been performed.
func notRetriable(err error) error {
	var de *domain.Error
	if errors.As(err, &de) {
		cp := *de
		cp.NotRetriable = true
		return &cp
	}
	return err
}

// rawActionResult is the documented answer of every action endpoint:
//
//	{"created_at": "2021-04-26T09:20:08.530429Z",
//	 "contact": {"number", "type", "first_name", "last_name", "email", "bday", "note"},
//	 "install": {"number", "website"}, "department": {"name"}, "message"}
type rawActionResult struct {
	CreatedAt flexString `json:"created_at"`
	Contact   struct {
		Number    flexString `json:"number"`
		Type      flexString `json:"type"`
		FirstName flexString `json:"first_name"`
		LastName  flexString `json:"last_name"`
		Email     flexString `json:"email"`
		Bday      flexString `json:"bday"`
		Note      flexString `json:"note"`
	} `json:"contact"`
	Install struct {
		Number  flexString `json:"number"`
		Website flexString `json:"website"`
	} `json:"install"`
	Department struct {
		Name flexString `json:"name"`
	} `json:"department"`
	Message flexString `json:"message"`
}

// decodeActionResult normalizes an action answer: vendor abbreviations
// renamed (number → phone, type → channel, bday → birthday), empty strings
// as nil, created_at in UTC to the second like every time the gateway
// serves. A body that is not a JSON object is an error.
func decodeActionResult(body []byte) (domain.ActionResult, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return domain.ActionResult{}, errors.New("decode action: the answer is not a JSON object")
	}
	var r rawActionResult
	if err := json.Unmarshal(body, &r); err != nil {
		return domain.ActionResult{}, fmt.Errorf("decode action: %w", err)
	}
	out := domain.ActionResult{
		Source: domain.SourceCallWidget,
		Contact: domain.ActionContact{
			Phone: phoneOrRaw(r.Contact.Number.value), Channel: r.Contact.Type.value,
			FirstName: r.Contact.FirstName.value, LastName: r.Contact.LastName.value,
			Email: r.Contact.Email.value, Birthday: r.Contact.Bday.value, Note: r.Contact.Note.value,
		},
		Install:    domain.ActionInstall{Phone: phoneOrRaw(r.Install.Number.value), Website: r.Install.Website.value},
		Department: domain.ActionDepartment{Name: r.Department.Name.value},
		Message:    r.Message.value,
	}
	if s := r.CreatedAt.value; s != nil {
		t, err := time.Parse(time.RFC3339Nano, *s)
		if err != nil {
			return domain.ActionResult{}, errors.New("decode action: created_at is not an RFC 3339 time")
		}
		t = t.UTC().Truncate(time.Second)
		out.CreatedAt = &t
	}
	return out, nil
}

// phoneOrRaw is the number in E.164 when it is one, else as received.
func phoneOrRaw(s *string) *string {
	if p := phoneOf(s); p != nil {
		return p
	}
	return s
}
