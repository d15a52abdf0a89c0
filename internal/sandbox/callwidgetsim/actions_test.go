package callwidgetsim_test

import (
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// docsBody is the request body of the docs' examples, for install.
func docsBody(install string, extra string) string {
	return `{
"first_name": "Test",
"last_name": "User",
"email": "testuser@gmail.com",
"phone": "+17862455063",
"install": "` + install + `",
"department": "Sales",
"bday": "1990-06-02",` + extra + `
"tag": [
"vip"
]
}`
}

func TestActionsAnswerTheDocumentedShape(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.login(t, aliceEmail, alicePass)
	d := f.dataset(t, aliceEmail)
	install := d.Installs[0]
	automation := fmt.Sprintf(`"automation": "%d",`, d.Automations[0].ID)
	tests := []struct {
		name        string
		path        string
		extra       string
		wantMessage bool
	}{
		{"new-contact creates a contact", "/share/new-contact", "", false},
		{"new-call creates a call request", "/share/new-call", "", false},
		{"new-sms sends a text and echoes the message", "/share/new-sms", `"message": "Test Message",`, true},
		{"new-sms-call calls, texts and echoes the message", "/share/new-sms-call", `"message": "Test Message",`, true},
		{"new-automation runs an automation", "/share/new-automation", automation, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.mustDo(t, http.MethodPost, tt.path, tok.AccessToken, docsBody(install.Number, tt.extra))
			if resp.status != http.StatusOK {
				t.Fatalf("got %d %s, want 200", resp.status, resp.body)
			}
			body := decode[map[string]any](t, resp.body)
			wantKeys := []string{"contact", "created_at", "department", "install"}
			if tt.wantMessage {
				wantKeys = append(wantKeys, "message")
				if body["message"] != "Test Message" {
					t.Errorf("got message %#v, want %q", body["message"], "Test Message")
				}
			}
			if got := keys(body); !reflect.DeepEqual(got, wantKeys) {
				t.Errorf("got keys %v, want %v", got, wantKeys)
			}
			if got, want := body["created_at"], "2026-11-21T09:20:08.530429Z"; got != want {
				t.Errorf("got created_at %#v, want %q", got, want)
			}
			wantContact := map[string]any{"number": "+17862455063", "type": "sms", "first_name": "Test",
				"last_name": "User", "email": "testuser@gmail.com", "bday": "1990-06-02", "note": "Test User"}
			if !reflect.DeepEqual(body["contact"], wantContact) {
				t.Errorf("got contact %v, want %v", body["contact"], wantContact)
			}
			wantInstall := map[string]any{"number": install.Number, "website": install.Website}
			if !reflect.DeepEqual(body["install"], wantInstall) {
				t.Errorf("got install %v, want %v", body["install"], wantInstall)
			}
			if want := map[string]any{"name": "Sales"}; !reflect.DeepEqual(body["department"], want) {
				t.Errorf("got department %v, want %v", body["department"], want)
			}
			if strings.Contains(string(resp.body), "vip") {
				t.Errorf("got the tags echoed in %s, want them absent like the docs", resp.body)
			}
		})
	}
}

func TestActionValidation(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.login(t, aliceEmail, alicePass)
	d := f.dataset(t, aliceEmail)
	install := d.Installs[0].Number
	body := func(fields string) string {
		return `{"phone": "+17862455063", "install": "` + install + `"` + fields + `}`
	}
	tests := []struct {
		name      string
		path      string
		body      string
		want      int
		wantField string
	}{
		{"a missing phone is unprocessable", "/share/new-contact", `{"install": "` + install + `"}`, 422, "phone"},
		{"an empty phone is unprocessable", "/share/new-contact", `{"phone": "", "install": "` + install + `"}`, 422, "phone"},
		{"a phone not in international format is unprocessable", "/share/new-call", `{"phone": "786-245-5063", "install": "` + install + `"}`, 422, "phone"},
		{"a missing install is unprocessable", "/share/new-sms", `{"phone": "+17862455063"}`, 422, "install"},
		{"an install that is not the user's is unprocessable", "/share/new-sms", `{"phone": "+17862455063", "install": "+19999999999"}`, 422, "install"},
		{"another user's install is unprocessable", "/share/new-sms", `{"phone": "+17862455063", "install": "` + f.dataset(t, bobEmail).Installs[0].Number + `"}`, 422, "install"},
		{"a first name over 256 characters is unprocessable", "/share/new-contact", body(`, "first_name": "` + strings.Repeat("é", 257) + `"`), 422, "first_name"},
		{"a first name of 256 characters is accepted", "/share/new-contact", body(`, "first_name": "` + strings.Repeat("é", 256) + `"`), 200, ""},
		{"an invalid email is unprocessable", "/share/new-contact", body(`, "email": "not-an-email"`), 422, "email"},
		{"a bday that is not a date is unprocessable", "/share/new-contact", body(`, "bday": "1990-02-30"`), 422, "bday"},
		{"a non-string name is unprocessable", "/share/new-contact", body(`, "last_name": 7`), 422, "last_name"},
		{"tags that are not strings are unprocessable", "/share/new-contact", body(`, "tags": [1, 2]`), 422, "tags"},
		{"the documented tags key is accepted", "/share/new-contact", body(`, "tags": ["vip", "lead"]`), 200, ""},
		{"a single tag string is accepted", "/share/new-sms", body(`, "tag": "vip"`), 200, ""},
		{"unknown fields are ignored", "/share/new-call", body(`, "color": "blue"`), 200, ""},
		{"a missing automation is unprocessable", "/share/new-automation", body(""), 422, "automation"},
		{"an unknown automation is not found", "/share/new-automation", body(`, "automation": "999999"`), 404, ""},
		{"a non-numeric automation is not found", "/share/new-automation", body(`, "automation": "keyword"`), 404, ""},
		{"an automation id sent as a number is accepted", "/share/new-automation", body(fmt.Sprintf(`, "automation": %d`, d.Automations[1].ID)), 200, ""},
		{"another user's automation is not found", "/share/new-automation", body(`, "automation": "` + missingAutomation(f, t) + `"`), 404, ""},
		{"a body that is not JSON is a bad request", "/share/new-contact", `phone=+17862455063`, 400, ""},
		{"an empty body is a bad request", "/share/new-contact", ``, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.mustDo(t, http.MethodPost, tt.path, tok.AccessToken, tt.body)
			if resp.status != tt.want {
				t.Fatalf("got %d %s, want %d", resp.status, resp.body, tt.want)
			}
			got := decode[map[string]any](t, resp.body)
			if tt.wantField == "" {
				return
			}
			errs, _ := got["errors"].(map[string]any)
			if _, ok := errs[tt.wantField]; !ok {
				t.Errorf("got errors %v, want one naming %q", got["errors"], tt.wantField)
			}
		})
	}
}

// missingAutomation returns an automation id bob has and alice does not.
func missingAutomation(f *fixture, t *testing.T) string {
	t.Helper()
	has := map[int64]bool{}
	for _, a := range f.dataset(t, aliceEmail).Automations {
		has[a.ID] = true
	}
	for _, a := range f.dataset(t, bobEmail).Automations {
		if !has[a.ID] {
			return fmt.Sprint(a.ID)
		}
	}
	t.Fatalf("got every one of bob's automation ids in alice's, want one missing")
	return ""
}

func TestAbsentOptionalFieldsAnswerNull(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.login(t, aliceEmail, alicePass)
	install := f.dataset(t, aliceEmail).Installs[1]
	resp := f.mustDo(t, http.MethodPost, "/share/new-sms", tok.AccessToken,
		`{"phone": "+17862455063", "install": "`+install.Number+`", "first_name": "Test", "last_name": ""}`)
	if resp.status != http.StatusOK {
		t.Fatalf("got %d %s, want 200", resp.status, resp.body)
	}
	body := decode[map[string]any](t, resp.body)
	contact := body["contact"].(map[string]any)
	for _, k := range []string{"last_name", "email", "bday"} {
		if v, ok := contact[k]; !ok || v != nil {
			t.Errorf("got contact %s %#v, want null", k, v)
		}
	}
	if contact["note"] != "Test" {
		t.Errorf("got note %#v, want %q", contact["note"], "Test")
	}
	if v, ok := body["message"]; !ok || v != nil {
		t.Errorf("got message %#v, want a null message on new-sms", v)
	}
	if dep := body["department"].(map[string]any); dep["name"] != nil {
		t.Errorf("got department %v, want a null name", dep)
	}
}

func TestActionsAreRecordedExactly(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.login(t, aliceEmail, alicePass)
	install := f.dataset(t, aliceEmail).Installs[0].Number
	sent := docsBody(install, `"message": "Hi",`)
	f.mustDo(t, http.MethodPost, "/share/new-sms", tok.AccessToken, sent)
	f.mustDo(t, http.MethodPost, "/share/new-call", tok.AccessToken, `{"install": "`+install+`"}`)
	f.mustDo(t, http.MethodPost, "/share/new-call", tok.AccessToken, `not json`)
	f.mustDo(t, http.MethodPost, "/share/new-call", "bad-token", sent)

	actions := f.sim.Actions()
	if len(actions) != 2 {
		t.Fatalf("got %d actions, want 2 (the authenticated JSON ones)", len(actions))
	}
	a := actions[0]
	if a.Path != "/api/v1/share/new-sms" || a.Email != aliceEmail || a.Status != 200 || !a.Time.Equal(now) {
		t.Errorf("got %s by %s answered %d at %s, want /api/v1/share/new-sms by %s answered 200 at %s", a.Path, a.Email, a.Status, a.Time, aliceEmail, now)
	}
	if string(a.Body) != sent {
		t.Errorf("got body %q, want exactly %q", a.Body, sent)
	}
	if !reflect.DeepEqual(a.Fields["tag"], []any{"vip"}) || a.Fields["message"] != "Hi" {
		t.Errorf("got fields %v, want tag [vip] and message Hi", a.Fields)
	}
	if actions[1].Status != http.StatusUnprocessableEntity {
		t.Errorf("got status %d for the invalid action, want 422", actions[1].Status)
	}
	actions[0].Fields["tag"] = "changed"
	if again := f.sim.Actions(); !reflect.DeepEqual(again[0].Fields["tag"], []any{"vip"}) {
		t.Errorf("got %v after a caller changed its copy, want the recorded fields intact", again[0].Fields["tag"])
	}
}

// keys returns the sorted keys of m.
func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
