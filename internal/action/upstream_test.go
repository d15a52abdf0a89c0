package action

import (
	"encoding/json"
	"testing"

	"switchboard/internal/domain"
)

func TestUpstreamBodyPerEndpoint(t *testing.T) {
	full := `"first_name": "Test", "last_name": "User", "email": "testuser@gmail.com",
		"department": "Sales", "birthday": "1990-06-02", "tags": ["vip", "lead"]`
	const people = `"first_name":"Test","last_name":"User","email":"testuser@gmail.com",` +
		`"phone":"+17862455063","install":"+17866275049"`
	tests := []struct {
		name         string
		kind         Kind
		body         string
		automationID string
		wantEndpoint string
		wantJSON     string
	}{
		{"a contact sends every field with birthday as bday and the tags under both names",
			KindContact, body(full), "", EndpointNewContact,
			`{` + people + `,"department":"Sales","bday":"1990-06-02","tag":["vip","lead"],"tags":["vip","lead"]}`},
		{"a call without a message goes to new-call without tags",
			KindCall, body(full), "", EndpointNewCall,
			`{` + people + `,"department":"Sales","bday":"1990-06-02"}`},
		{"a call with a message goes to new-sms-call with the message and tags",
			KindCall, body(full, `"message": "Test Message"`), "", EndpointNewSMSCall,
			`{` + people + `,"department":"Sales","bday":"1990-06-02","message":"Test Message","tag":["vip","lead"],"tags":["vip","lead"]}`},
		{"a text goes to new-sms with the message and tags",
			KindMessage, body(full, `"message": "Test Message"`), "", EndpointNewSMS,
			`{` + people + `,"department":"Sales","bday":"1990-06-02","message":"Test Message","tag":["vip","lead"],"tags":["vip","lead"]}`},
		{"an enrollment goes to new-automation with the automation id as a string",
			KindEnrollment, body(full), "7", EndpointNewAutomation,
			`{` + people + `,"automation":"7","department":"Sales","bday":"1990-06-02","tag":["vip","lead"],"tags":["vip","lead"]}`},
		{"absent optional fields are omitted from a contact",
			KindContact, body(), "", EndpointNewContact,
			`{"phone":"+17862455063","install":"+17866275049"}`},
		{"absent optional fields are omitted from a text",
			KindMessage, body(`"message": "hi"`), "", EndpointNewSMS,
			`{"phone":"+17862455063","install":"+17866275049","message":"hi"}`},
		{"absent optional fields are omitted from an enrollment",
			KindEnrollment, body(), "12", EndpointNewAutomation,
			`{"phone":"+17862455063","install":"+17866275049","automation":"12"}`},
		{"normalized numbers are sent",
			KindContact, `{"phone": " +4402071234567 ", "install": "+17866275049"}`, "", EndpointNewContact,
			`{"phone":"+442071234567","install":"+17866275049"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := mustDecode(t, tt.kind, tt.body)
			if got := req.Endpoint(tt.kind); got != tt.wantEndpoint {
				t.Errorf("got endpoint %q, want %q", got, tt.wantEndpoint)
			}
			got, err := json.Marshal(req.UpstreamBody(tt.kind, tt.automationID))
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			if string(got) != tt.wantJSON {
				t.Fatalf("got  %s\nwant %s", got, tt.wantJSON)
			}
		})
	}
}

func TestEndpointOfAnInvalidKindIsEmpty(t *testing.T) {
	req := &Request{Phone: contactPhone, Install: installPhone}
	if got := req.Endpoint(0); got != "" {
		t.Errorf("got %q, want \"\"", got)
	}
}

func TestUpstreamBodySharesNoMemoryWithTheRequest(t *testing.T) {
	req := mustDecode(t, KindMessage, body(`"first_name": "Test"`, `"tags": ["vip"]`, `"message": "hi"`))
	b := req.UpstreamBody(KindMessage, "")
	*b.FirstName, *b.Message = "changed", "changed"
	b.Tag[0], b.Tags[0] = "changed", "changed"
	if *req.FirstName != "Test" || *req.Message != "hi" || req.Tags[0] != "vip" {
		t.Errorf("got request %s after changing the upstream body, want it unchanged", describe(req))
	}
}

func TestParseAutomationID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		ok   bool
	}{
		{"a small integer is valid", "1", true},
		{"an 18-digit integer is valid", "123456789012345678", true},
		{"an empty id is refused", "", false},
		{"zero is refused", "0", false},
		{"a leading zero is refused", "01", false},
		{"a negative id is refused", "-1", false},
		{"a name is refused", "keyword", false},
		{"a 19-digit integer is refused", "1234567890123456789", false},
		{"an id with a space is refused", "1 ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAutomationID(tt.id)
			if tt.ok {
				if err != nil || got != tt.id {
					t.Fatalf("got %q, %v, want %q, nil", got, err, tt.id)
				}
				return
			}
			de := domainError(t, err)
			if de.Code != domain.CodeValidation || len(de.Fields) != 1 || de.Fields[0].Field != "id" {
				t.Fatalf("got %v with fields %+v, want a validation error on id", de, de.Fields)
			}
		})
	}
}
