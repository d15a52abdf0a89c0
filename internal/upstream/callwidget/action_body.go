package callwidget

import (
	"slices"

	"switchboard/internal/action"
)

// actionBody is the JSON body of a CallWidget action request. Absent
// optional fields are omitted; the field order is fixed, so its encoding is
// deterministic.
type actionBody struct {
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

// actionFor returns the endpoint that carries out a request of kind: a
// call with a message is new-sms-call, one without is new-call. It returns
// "" for an invalid kind.
func actionFor(kind action.Kind, r *action.Request) Action {
	switch kind {
	case action.KindContact:
		return ActionNewContact
	case action.KindCall:
		if r.Message != nil {
			return ActionNewSMSCall
		}
		return ActionNewCall
	case action.KindMessage:
		return ActionNewSMS
	case action.KindEnrollment:
		return ActionNewAutomation
	}
	return ""
}

// bodyFor returns the body to send to actionFor(kind, r). automationID is
// used for KindEnrollment only and must already be valid (see
// action.ParseAutomationID). An endpoint gets only the fields its docs show:
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
func bodyFor(kind action.Kind, r *action.Request, automationID string) actionBody {
	b := actionBody{
		FirstName:  clonePtr(r.FirstName),
		LastName:   clonePtr(r.LastName),
		Email:      clonePtr(r.Email),
		Phone:      r.Phone,
		Install:    r.Install,
		Department: clonePtr(r.Department),
		Bday:       clonePtr(r.Birthday),
	}
	endpoint := actionFor(kind, r)
	if endpoint != ActionNewCall {
		b.Tag, b.Tags = slices.Clone(r.Tags), slices.Clone(r.Tags)
	}
	switch endpoint {
	case ActionNewSMS, ActionNewSMSCall:
		b.Message = clonePtr(r.Message)
	case ActionNewAutomation:
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
