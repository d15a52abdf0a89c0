package action

import (
	"slices"

	"switchboard/internal/domain"
)

// The CallWidget action endpoints, as paths below the API base
// (…/api/v1/), without a leading slash.
const (
	EndpointNewContact    = "share/new-contact"
	EndpointNewCall       = "share/new-call"
	EndpointNewSMSCall    = "share/new-sms-call"
	EndpointNewSMS        = "share/new-sms"
	EndpointNewAutomation = "share/new-automation"
)

// CallWidgetBody is the JSON body of a CallWidget action request. Absent
// optional fields are omitted; the field order is fixed, so its encoding
// is deterministic.
type CallWidgetBody struct {
	FirstName  *string `json:"first_name,omitempty"`
	LastName   *string `json:"last_name,omitempty"`
	Email      *string `json:"email,omitempty"`
	Phone      string  `json:"phone"`
	Install    string  `json:"install"`
	Automation string  `json:"automation,omitempty"`
	Department *string `json:"department,omitempty"`
	// Bday is the request's birthday: CallWidget abbreviates the name.
	Bday    *string `json:"bday,omitempty"`
	Message *string `json:"message,omitempty"`
	// Tag and Tags carry the same list. The docs contradict themselves:
	// every parameter table names the field "tags", every example request
	// sends "tag". Sending the list under both names makes the tags land
	// whichever name the API reads, and an API reading both would only
	// add the contact to each tag twice, which changes nothing.
	Tag  []string `json:"tag,omitempty"`
	Tags []string `json:"tags,omitempty"`
}

// Endpoint returns the CallWidget endpoint that carries out r for kind:
// a call with a message is new-sms-call, one without is new-call. It
// returns "" for an invalid kind.
func (r *Request) Endpoint(kind Kind) string {
	switch kind {
	case KindContact:
		return EndpointNewContact
	case KindCall:
		if r.Message != nil {
			return EndpointNewSMSCall
		}
		return EndpointNewCall
	case KindMessage:
		return EndpointNewSMS
	case KindEnrollment:
		return EndpointNewAutomation
	}
	return ""
}

// UpstreamBody returns the body to send to r.Endpoint(kind). automationID
// is used for KindEnrollment only and must already be valid (see
// ParseAutomationID). An endpoint gets only the fields its docs show:
//
//   - phone and install go as E.164, the docs' "international format";
//     birthday goes as "bday"; names, email and department pass through.
//   - new-call's table and example have no tags and no message, so a call
//     without a message sends neither: the tags a caller gave are dropped
//     rather than sent where the API does not document them.
//   - new-sms and new-sms-call send "message". Neither parameter table
//     lists it and only new-sms-call's example sends it, but both answers
//     echo it, and a text without its body would be meaningless.
//   - new-automation sends "automation", as a string like the docs'
//     example ("automation": "1").
//
// The result shares no memory with r.
func (r *Request) UpstreamBody(kind Kind, automationID string) CallWidgetBody {
	b := CallWidgetBody{
		FirstName:  clonePtr(r.FirstName),
		LastName:   clonePtr(r.LastName),
		Email:      clonePtr(r.Email),
		Phone:      r.Phone,
		Install:    r.Install,
		Department: clonePtr(r.Department),
		Bday:       clonePtr(r.Birthday),
	}
	endpoint := r.Endpoint(kind)
	if endpoint != EndpointNewCall {
		b.Tag, b.Tags = slices.Clone(r.Tags), slices.Clone(r.Tags)
	}
	switch endpoint {
	case EndpointNewSMS, EndpointNewSMSCall:
		b.Message = clonePtr(r.Message)
	case EndpointNewAutomation:
		b.Automation = automationID
	}
	return b
}

// clonePtr returns a pointer to a copy of *p, or nil.
func clonePtr(p *string) *string {
	if p == nil {
		return nil
	}
	s := *p
	return &s
}

// maxAutomationIDDigits bounds an automation id to what fits an int64.
const maxAutomationIDDigits = 18

// ParseAutomationID validates the {id} of
// POST /v1/automations/{id}/enrollments: CallWidget's automation ids are
// positive integers (GET /share/automations lists "id": 1), so anything
// else could only fail upstream. The error is a validation *domain.Error
// naming the field "id".
func ParseAutomationID(s string) (string, error) {
	ok := len(s) > 0 && len(s) <= maxAutomationIDDigits && s[0] != '0'
	for i := 0; ok && i < len(s); i++ {
		ok = s[i] >= '0' && s[i] <= '9'
	}
	if !ok {
		return "", domain.ValidationError(domain.FieldError{Field: "id",
			Message: "must be a positive integer automation id"})
	}
	return s, nil
}
