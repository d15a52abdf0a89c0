package callwidget

import (
	"context"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"switchboard/internal/action"
	"switchboard/internal/domain"
)

// TestARefusedActionIsTheCallersValidationError runs every action endpoint
// against an upstream that answers 422 with the field messages the vendor
// docs' parameter tables imply (as a Laravel app words them), and checks the
// caller sees a 422 validation error on the gateway's field names, with the
// upstream's message and never a vendor name.
func TestARefusedActionIsTheCallersValidationError(t *testing.T) {
	fe := func(field, msg string) domain.FieldError { return domain.FieldError{Field: field, Message: msg} }
	refusals := []struct {
		name    string
		body    string
		only    []Action // nil: every action
		want    []domain.FieldError
		wantMsg string // the problem's detail, when checked
	}{
		{name: "an install that is not the account's is the install's error",
			body: `{"message":"The given data was invalid.","errors":{"install":["The selected install is invalid."]}}`,
			want: []domain.FieldError{fe("install", "The selected install is invalid.")}, wantMsg: "install: The selected install is invalid."},
		{name: "a missing phone is the phone's error",
			body: `{"message":"The given data was invalid.","errors":{"phone":["The phone field is required."]}}`,
			want: []domain.FieldError{fe("phone", "The phone field is required.")}},
		{name: "a first name over 256 characters keeps its message",
			body: `{"message":"The given data was invalid.","errors":{"first_name":["The first name may not be greater than 256 characters."]}}`,
			want: []domain.FieldError{fe("first_name", "The first name may not be greater than 256 characters.")}},
		{name: "an email the upstream cannot use is the email's error",
			body: `{"message":"The given data was invalid.","errors":{"email":["The email must be a valid email address."]}}`,
			want: []domain.FieldError{fe("email", "The email must be a valid email address.")}},
		{name: "a bday refusal is the birthday's, in field and message",
			body: `{"message":"The given data was invalid.","errors":{"bday":["The bday is not a valid date."]}}`,
			want: []domain.FieldError{fe("birthday", "The birthday is not a valid date.")}},
		{name: "a department the account lacks is the department's error",
			body: `{"message":"The given data was invalid.","errors":{"department":["The selected department is invalid."]}}`,
			want: []domain.FieldError{fe("department", "The selected department is invalid.")}},
		{name: "a tag refusal is the tags' error",
			body: `{"message":"The given data was invalid.","errors":{"tag":["The tag must be an array."]}}`,
			only: []Action{ActionNewContact, ActionNewSMS, ActionNewSMSCall, ActionNewAutomation},
			want: []domain.FieldError{fe("tags", "The tags must be an array.")}},
		{name: "a tag element refusal names the element the gateway's way",
			body: `{"message":"The given data was invalid.","errors":{"tag.2":["The tag.2 may not be greater than 256 characters."]}}`,
			only: []Action{ActionNewContact, ActionNewSMS, ActionNewSMSCall, ActionNewAutomation},
			want: []domain.FieldError{fe("tags[2]", "The tags[2] may not be greater than 256 characters.")}},
		{name: "a message refusal is the message's error",
			body: `{"message":"The given data was invalid.","errors":{"message":["The message may not be greater than 1600 characters."]}}`,
			only: []Action{ActionNewSMS, ActionNewSMSCall},
			want: []domain.FieldError{fe("message", "The message may not be greater than 1600 characters.")}},
		{name: "an automation refusal is the path id's error",
			body: `{"message":"The given data was invalid.","errors":{"automation":["The selected automation is invalid."]}}`,
			only: []Action{ActionNewAutomation},
			want: []domain.FieldError{fe("id", "The selected automation is invalid.")}},
		{name: "several refusals come in the order of the gateway's body",
			body:    `{"message":"The given data was invalid.","errors":{"bday":["The bday is not a valid date."],"install":["The selected install is invalid."],"phone":["The phone format is invalid."]}}`,
			want:    []domain.FieldError{fe("phone", "The phone format is invalid."), fe("install", "The selected install is invalid."), fe("birthday", "The birthday is not a valid date.")},
			wantMsg: "CallWidget refused the request: phone: The phone format is invalid."},
		{name: "a field the gateway does not know is reported on the body",
			body: `{"message":"The given data was invalid.","errors":{"widget_key":["The widget key is invalid."]}}`,
			want: []domain.FieldError{fe("body", "The widget key is invalid.")}},
		{name: "a message given as one string is read too",
			body: `{"errors":{"install":"The selected install is invalid."}}`,
			want: []domain.FieldError{fe("install", "The selected install is invalid.")}},
		{name: "a refusal without field messages carries the upstream's message on the body",
			body: `{"message":"This install cannot send texts."}`,
			want: []domain.FieldError{fe("body", "This install cannot send texts.")}},
		{name: "a refusal that is not JSON is still the caller's",
			body: `<html>Unprocessable</html>`,
			want: []domain.FieldError{fe("body", "was refused by CallWidget without a reason")}},
	}
	actions := []Action{ActionNewContact, ActionNewCall, ActionNewSMS, ActionNewSMSCall, ActionNewAutomation}
	for _, act := range actions {
		for _, tt := range refusals {
			if tt.only != nil && !contains(tt.only, act) {
				continue
			}
			t.Run(string(act)+": "+tt.name, func(t *testing.T) {
				f := newFakeUpstream(t)
				f.set(func(f *fakeUpstream) {
					f.share = func(w http.ResponseWriter, r *http.Request, _ int) {
						w.Header().Set("Content-Type", "application/json")
						w.WriteHeader(http.StatusUnprocessableEntity)
						_, _ = io.WriteString(w, tt.body)
					}
				})
				c := newTestClient(t, f, newFakeClock(), nil)
				_, _, err := c.Act(context.Background(), act, []byte(`{"phone":"+17862455063","install":"+17866275049"}`))
				de := assertCode(t, err, domain.CodeValidation)
				if !de.Unprocessable || de.NotRetriable {
					t.Errorf("got unprocessable %v, not retriable %v; want true, false", de.Unprocessable, de.NotRetriable)
				}
				if !reflect.DeepEqual(de.Fields, tt.want) {
					t.Errorf("got fields %+v, want %+v", de.Fields, tt.want)
				}
				if tt.wantMsg != "" && de.Message != tt.wantMsg {
					t.Errorf("got message %q, want %q", de.Message, tt.wantMsg)
				}
				for _, vendor := range []string{"bday", `"tag"`, "tag."} {
					if strings.Contains(de.Message, vendor) || strings.Contains(fieldsText(de.Fields), vendor) {
						t.Errorf("the caller's error names the vendor's %s: %q %+v", vendor, de.Message, de.Fields)
					}
				}
				if got := len(f.postedBodies()); got != 1 {
					t.Errorf("requests sent: got %d, want 1 (a refusal is never retried)", got)
				}
			})
		}
	}
}

// TestTheSimulatorRefusesAnInstallThatIsNotTheAccounts performs every
// action kind with an install of another account against the simulator.
func TestTheSimulatorRefusesAnInstallThatIsNotTheAccounts(t *testing.T) {
	for _, kind := range []action.Kind{action.KindContact, action.KindCall, action.KindMessage, action.KindEnrollment} {
		t.Run(kind.String(), func(t *testing.T) {
			c, sim := newSimClient(t, 0)
			msg := "hi"
			req := &action.Request{Phone: "+17862455063", Install: "+12025550143", Message: &msg}
			if kind == action.KindContact || kind == action.KindEnrollment {
				req.Message = nil
			}
			d, _ := sim.Dataset("ops@acme.example")
			_, _, err := c.Perform(context.Background(), kind, req, strconv.FormatInt(d.Automations[0].ID, 10))
			de := assertCode(t, err, domain.CodeValidation)
			want := []domain.FieldError{{Field: "install", Message: "The selected install is invalid."}}
			if !de.Unprocessable || !reflect.DeepEqual(de.Fields, want) {
				t.Errorf("got unprocessable %v, fields %+v; want true, %+v", de.Unprocessable, de.Fields, want)
			}
		})
	}
}

func contains(list []Action, a Action) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

func fieldsText(fs []domain.FieldError) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(`"` + f.Field + `" ` + f.Message + "\n")
	}
	return b.String()
}
