package callwidget

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"switchboard/internal/action"
)

// body returns a JSON action request with the docs' contact and install
// numbers plus the given members.
func body(members ...string) string {
	all := append([]string{`"phone": "+17862455063"`, `"install": "+17866275049"`}, members...)
	return "{" + strings.Join(all, ", ") + "}"
}

// mustDecode decodes a valid action request the way the handlers do.
func mustDecode(t *testing.T, kind action.Kind, s string) *action.Request {
	t.Helper()
	req, err := action.Decode(strings.NewReader(s), "application/json", kind, time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatalf("Decode(%s): %v", s, err)
	}
	return req
}

func TestActionBodyPerEndpoint(t *testing.T) {
	full := `"first_name": "Test", "last_name": "User", "email": "testuser@gmail.com",
		"department": "Sales", "birthday": "1990-06-02", "tags": ["vip", "lead"]`
	const people = `"first_name":"Test","last_name":"User","email":"testuser@gmail.com",` +
		`"phone":"+17862455063","install":"+17866275049"`
	tests := []struct {
		name         string
		kind         action.Kind
		body         string
		automationID string
		wantEndpoint Action
		wantJSON     string
	}{
		{"a contact sends every field with birthday as bday and the tags under both names",
			action.KindContact, body(full), "", ActionNewContact,
			`{` + people + `,"department":"Sales","bday":"1990-06-02","tag":["vip","lead"],"tags":["vip","lead"]}`},
		{"a call without a message goes to new-call without tags",
			action.KindCall, body(full), "", ActionNewCall,
			`{` + people + `,"department":"Sales","bday":"1990-06-02"}`},
		{"a call with a message goes to new-sms-call with the message and tags",
			action.KindCall, body(full, `"message": "Test Message"`), "", ActionNewSMSCall,
			`{` + people + `,"department":"Sales","bday":"1990-06-02","message":"Test Message","tag":["vip","lead"],"tags":["vip","lead"]}`},
		{"a text goes to new-sms with the message and tags",
			action.KindMessage, body(full, `"message": "Test Message"`), "", ActionNewSMS,
			`{` + people + `,"department":"Sales","bday":"1990-06-02","message":"Test Message","tag":["vip","lead"],"tags":["vip","lead"]}`},
		{"an enrollment goes to new-automation with the automation id as a string",
			action.KindEnrollment, body(full), "7", ActionNewAutomation,
			`{` + people + `,"automation":"7","department":"Sales","bday":"1990-06-02","tag":["vip","lead"],"tags":["vip","lead"]}`},
		{"absent optional fields are omitted from a contact",
			action.KindContact, body(), "", ActionNewContact,
			`{"phone":"+17862455063","install":"+17866275049"}`},
		{"absent optional fields are omitted from a text",
			action.KindMessage, body(`"message": "hi"`), "", ActionNewSMS,
			`{"phone":"+17862455063","install":"+17866275049","message":"hi"}`},
		{"absent optional fields are omitted from an enrollment",
			action.KindEnrollment, body(), "12", ActionNewAutomation,
			`{"phone":"+17862455063","install":"+17866275049","automation":"12"}`},
		{"normalized numbers are sent",
			action.KindContact, `{"phone": " +4402071234567 ", "install": "+17866275049"}`, "", ActionNewContact,
			`{"phone":"+442071234567","install":"+17866275049"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := mustDecode(t, tt.kind, tt.body)
			if got := actionFor(tt.kind, req); got != tt.wantEndpoint {
				t.Errorf("got endpoint %q, want %q", got, tt.wantEndpoint)
			}
			got, err := json.Marshal(bodyFor(tt.kind, req, tt.automationID))
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			if string(got) != tt.wantJSON {
				t.Fatalf("got  %s\nwant %s", got, tt.wantJSON)
			}
		})
	}
}

func TestActionOfAnInvalidKindIsEmpty(t *testing.T) {
	req := &action.Request{Phone: "+17862455063", Install: "+17866275049"}
	if got := actionFor(0, req); got != "" {
		t.Errorf("got %q, want \"\"", got)
	}
}

func TestActionBodySharesNoMemoryWithTheRequest(t *testing.T) {
	req := mustDecode(t, action.KindMessage, body(`"first_name": "Test"`, `"tags": ["vip"]`, `"message": "hi"`))
	b := bodyFor(action.KindMessage, req, "")
	*b.FirstName, *b.Message = "changed", "changed"
	b.Tag[0], b.Tags[0] = "changed", "changed"
	if *req.FirstName != "Test" || *req.Message != "hi" || req.Tags[0] != "vip" {
		t.Errorf("got request %+v after changing the upstream body, want it unchanged", *req)
	}
}
