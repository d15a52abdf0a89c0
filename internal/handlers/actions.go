package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"switchboard/internal/action"
	"switchboard/internal/cache"
	"switchboard/internal/domain"
)

// ActionResponse is the normalized answer to an action (SPEC §3).
type ActionResponse = domain.ActionResult

// actionRoute describes one POST route.
type actionRoute struct {
	kind   action.Kind
	status int // 201 for what creates a record, 202 for what sends something
}

// createAction runs one action end to end: decode and validate the body,
// check the idempotency key, call CallWidget once, answer and record.
func (s *Server) createAction(rt actionRoute) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		t, err := tenantFrom(r.Context())
		if err != nil {
			return err
		}
		cw, err := callWidgetFrom(r.Context())
		if err != nil {
			return err
		}
		var automationID string
		if rt.kind == action.KindEnrollment {
			if automationID, err = action.ParseAutomationID(chi.URLParam(r, "id")); err != nil {
				return err
			}
		}
		raw, err := readBody(r)
		if err != nil {
			return err
		}
		req, err := action.Decode(bytes.NewReader(raw), r.Header.Get("Content-Type"), rt.kind, time.Now())
		if err != nil {
			return err
		}
		idem, err := s.beginIdempotent(w, r, t.ID, raw)
		if err != nil || idem.done {
			return err
		}
		// The upstream call outlives a caller that hangs up: a text half
		// sent must still be recorded, so a retry with the same key replays
		// it instead of sending it again. The client's own timeout bounds it.
		ctx := context.WithoutCancel(r.Context())
		if rt.kind == action.KindEnrollment {
			if err := s.checkAutomation(ctx, t, cw, automationID); err != nil {
				idem.release(ctx)
				return err
			}
		}
		res, err := cw.Perform(ctx, rt.kind, req, automationID)
		if err != nil {
			return idem.fail(ctx, w, r, err)
		}
		return idem.succeed(ctx, w, rt.status, res)
	}
}

// readBody reads the (already capped) request body whole.
func readBody(r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, domain.Errorf(domain.CodePayloadTooLarge, "the request body exceeds %d bytes", domain.MaxBodyBytes)
	case err != nil:
		return nil, domain.Wrap(err, domain.CodeValidation, "the request body could not be read")
	}
	return raw, nil
}

// checkAutomation answers 404 when the tenant's CallWidget does not list
// the automation: an enrollment in a missing automation is the caller's
// mistake, and saying so beats the upstream's vaguer answer. The list comes
// from the response cache; an id it lacks is looked up once more upstream,
// since the automation may be newer than the cached list.
func (s *Server) checkAutomation(ctx context.Context, t *Tenant, cw CallWidgetService, id string) error {
	key := cache.Key(t.ID, t.CallWidgetAccount, "automations")
	fill := lookupFill(cw, CallWidgetService.Automations)
	for _, revalidate := range []bool{false, true} {
		res, err := s.cache.Fetch(ctx, key, revalidate, func(ctx context.Context) (cache.Entry, error) {
			return entryOf(fill(ctx))
		})
		if err != nil {
			return err
		}
		var list LookupList
		if err := json.Unmarshal(res.Entry.Body, &list); err != nil {
			return err
		}
		for _, a := range list.Data {
			if a.ID == id {
				return nil
			}
		}
	}
	return domain.Errorf(domain.CodeNotFound, "automation %s does not exist for this tenant", id)
}

// createContact godoc
//
//	@Summary		Create a contact
//	@Description	Creates a contact in CallWidget. Scope `contacts:write`. Send `Idempotency-Key` to make retries safe: once the upstream may have received the request, its outcome (a failure included) is replayed for 24 h, and the action is never sent twice.
//	@ID				createContact
//	@Tags			actions
//	@Accept			json
//	@Produce		json
//	@Security		bearerauth
//	@Param			Idempotency-Key	header		string			false	"at most 255 printable ASCII characters"
//	@Param			body			body		ContactRequest	true	"the contact"
//	@Success		201				{object}	ActionResponse
//	@Header			201				{string}	Idempotent-Replayed	"true when this is a replay"
//	@Failure		400				{object}	Problem	"invalid body, with the fields named"
//	@Failure		401				{object}	Problem	"missing or invalid token"
//	@Failure		403				{object}	Problem	"scope missing, unknown tenant, or no CallWidget account"
//	@Failure		409				{object}	Problem	"the Idempotency-Key is in use by a request in flight"
//	@Failure		413				{object}	Problem	"body over 64 KiB"
//	@Failure		415				{object}	Problem	"not JSON"
//	@Failure		422				{object}	Problem	"CallWidget refused the input (validation, fields named), or the Idempotency-Key was used with another body"
//	@Failure		502				{object}	Problem	"upstream error or rejected credentials"
//	@Failure		503				{object}	Problem	"upstream unavailable or rate limited, or the Idempotency-Key cannot be checked (the store is unreachable; nothing was sent)"
//	@Failure		504				{object}	Problem	"upstream timeout, or an earlier request with this Idempotency-Key was interrupted; retriable false when the action may have happened"
//	@Router			/v1/contacts [post]
func (s *Server) createContact() handlerFunc {
	return s.createAction(actionRoute{kind: action.KindContact, status: http.StatusCreated})
}

// createCall godoc
//
//	@Summary		Request a call
//	@Description	Asks CallWidget to call the contact (`new-call`), or to call and text them when `message` is given (`new-sms-call`). Scope `calls:write`.
//	@ID				createCall
//	@Tags			actions
//	@Accept			json
//	@Produce		json
//	@Security		bearerauth
//	@Param			Idempotency-Key	header		string			false	"at most 255 printable ASCII characters"
//	@Param			body			body		CallRequest	true	"the contact and the install to call from"
//	@Success		202				{object}	ActionResponse
//	@Header			202				{string}	Idempotent-Replayed	"true when this is a replay"
//	@Failure		400				{object}	Problem	"invalid body, with the fields named"
//	@Failure		401				{object}	Problem	"missing or invalid token"
//	@Failure		403				{object}	Problem	"scope missing, unknown tenant, or no CallWidget account"
//	@Failure		409				{object}	Problem	"the Idempotency-Key is in use by a request in flight"
//	@Failure		413				{object}	Problem	"body over 64 KiB"
//	@Failure		415				{object}	Problem	"not JSON"
//	@Failure		422				{object}	Problem	"CallWidget refused the input (validation, fields named), or the Idempotency-Key was used with another body"
//	@Failure		502				{object}	Problem	"upstream error or rejected credentials"
//	@Failure		503				{object}	Problem	"upstream unavailable or rate limited, or the Idempotency-Key cannot be checked (the store is unreachable; nothing was sent)"
//	@Failure		504				{object}	Problem	"upstream timeout, or an earlier request with this Idempotency-Key was interrupted; retriable false when the call may have gone out"
//	@Router			/v1/calls [post]
func (s *Server) createCall() handlerFunc {
	return s.createAction(actionRoute{kind: action.KindCall, status: http.StatusAccepted})
}

// sendMessage godoc
//
//	@Summary		Send a text
//	@Description	Sends `message` to the contact from the install (`new-sms`). Scope `messages:send`.
//	@ID				sendMessage
//	@Tags			actions
//	@Accept			json
//	@Produce		json
//	@Security		bearerauth
//	@Param			Idempotency-Key	header		string			false	"at most 255 printable ASCII characters"
//	@Param			body			body		MessageRequest	true	"the contact, the install and the message"
//	@Success		202				{object}	ActionResponse
//	@Header			202				{string}	Idempotent-Replayed	"true when this is a replay"
//	@Failure		400				{object}	Problem	"invalid body, with the fields named"
//	@Failure		401				{object}	Problem	"missing or invalid token"
//	@Failure		403				{object}	Problem	"scope missing, unknown tenant, or no CallWidget account"
//	@Failure		409				{object}	Problem	"the Idempotency-Key is in use by a request in flight"
//	@Failure		413				{object}	Problem	"body over 64 KiB"
//	@Failure		415				{object}	Problem	"not JSON"
//	@Failure		422				{object}	Problem	"CallWidget refused the input (validation, fields named), or the Idempotency-Key was used with another body"
//	@Failure		502				{object}	Problem	"upstream error or rejected credentials"
//	@Failure		503				{object}	Problem	"upstream unavailable or rate limited, or the Idempotency-Key cannot be checked (the store is unreachable; nothing was sent)"
//	@Failure		504				{object}	Problem	"upstream timeout, or an earlier request with this Idempotency-Key was interrupted; retriable false when the text may have gone out"
//	@Router			/v1/messages [post]
func (s *Server) sendMessage() handlerFunc {
	return s.createAction(actionRoute{kind: action.KindMessage, status: http.StatusAccepted})
}

// enrollContact godoc
//
//	@Summary		Run an automation on a contact
//	@Description	Starts automation `id` on the contact (`new-automation`). 404 when the tenant's CallWidget has no such automation. Scope `automations:run`.
//	@ID				enrollContact
//	@Tags			actions
//	@Accept			json
//	@Produce		json
//	@Security		bearerauth
//	@Param			id				path		string			true	"automation id, from GET /v1/automations"	example(1)
//	@Param			Idempotency-Key	header		string			false	"at most 255 printable ASCII characters"
//	@Param			body			body		ContactRequest	true	"the contact"
//	@Success		201				{object}	ActionResponse
//	@Header			201				{string}	Idempotent-Replayed	"true when this is a replay"
//	@Failure		400				{object}	Problem	"invalid body or id, with the fields named"
//	@Failure		401				{object}	Problem	"missing or invalid token"
//	@Failure		403				{object}	Problem	"scope missing, unknown tenant, or no CallWidget account"
//	@Failure		404				{object}	Problem	"no such automation"
//	@Failure		409				{object}	Problem	"the Idempotency-Key is in use by a request in flight"
//	@Failure		413				{object}	Problem	"body over 64 KiB"
//	@Failure		415				{object}	Problem	"not JSON"
//	@Failure		422				{object}	Problem	"CallWidget refused the input (validation, fields named), or the Idempotency-Key was used with another body"
//	@Failure		502				{object}	Problem	"upstream error or rejected credentials"
//	@Failure		503				{object}	Problem	"upstream unavailable or rate limited, or the Idempotency-Key cannot be checked (the store is unreachable; nothing was sent)"
//	@Failure		504				{object}	Problem	"upstream timeout, or an earlier request with this Idempotency-Key was interrupted; retriable false when the automation may have started"
//	@Router			/v1/automations/{id}/enrollments [post]
func (s *Server) enrollContact() handlerFunc {
	return s.createAction(actionRoute{kind: action.KindEnrollment, status: http.StatusCreated})
}
