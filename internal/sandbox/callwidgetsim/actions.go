package callwidgetsim

import (
	"encoding/json"
	"net/http"
	"strings"
)

// actionSpec is what distinguishes the five action endpoints.
type actionSpec struct {
	// message: new-sms and new-sms-call echo "message" in their answer.
	message bool
	// automation: new-automation requires "automation", an automation id.
	automation bool
}

// actionSpecs returns the spec of POST /share/<name>.
func actionSpecs(name string) (actionSpec, bool) {
	switch name {
	case "new-contact", "new-call":
		return actionSpec{}, true
	case "new-sms", "new-sms-call":
		return actionSpec{message: true}, true
	case "new-automation":
		return actionSpec{automation: true}, true
	}
	return actionSpec{}, false
}

// actionResponse is the documented answer of every action. Optional fields
// that were absent, null or "" in the request answer null (the API turns
// empty strings into null, as Laravel apps do; the docs only show a full
// example).
type actionResponse struct {
	CreatedAt  string          `json:"created_at"`
	Contact    contactOut      `json:"contact"`
	Install    installOut      `json:"install"`
	Department departmentOut   `json:"department"`
	Message    json.RawMessage `json:"message,omitempty"` // new-sms, new-sms-call only
}

type contactOut struct {
	Number    string  `json:"number"`
	Type      string  `json:"type"` // always "sms", as every docs example shows
	FirstName *string `json:"first_name"`
	LastName  *string `json:"last_name"`
	Email     *string `json:"email"`
	Bday      *string `json:"bday"`
	Note      *string `json:"note"` // first_name + " " + last_name
}

type installOut struct {
	Number  string `json:"number"`
	Website string `json:"website"`
}

type departmentOut struct {
	Name *string `json:"name"`
}

// validationError is the 422 body: every invalid field with its messages.
type validationError struct {
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors"`
}

// createdAtLayout is RFC 3339 in UTC with microseconds, as in the docs'
// "2021-04-26T09:20:08.530429Z".
const createdAtLayout = "2006-01-02T15:04:05.000000Z"

// action returns the handler of one action endpoint. Every request that
// authenticated and carried a JSON object is recorded with its answer.
func (s *Server) action(spec actionSpec) handler {
	return func(w http.ResponseWriter, r *http.Request, x *exchange) {
		body, raw, err := readObject(r)
		if err != nil {
			writeMessage(w, http.StatusBadRequest, err.Error())
			return
		}
		status, resp := s.runAction(spec, x.user, body)
		s.recordAction(Action{Path: r.URL.Path, Email: x.user.email, Body: raw, Status: status, Time: s.now()})
		writeJSON(w, status, resp)
	}
}

// runAction validates an action and builds its answer: 422 for invalid
// fields (phone and install required, install one of the user's),
// 404 for an automation the user does not have, else 200.
func (s *Server) runAction(spec actionSpec, u *user, body map[string]any) (int, any) {
	in, errs := parseAction(spec, body)
	install, ok := u.data.installByNumber(in.install)
	if in.install != "" && len(errs["install"]) == 0 && !ok {
		errs.add("install", "The selected install is invalid.")
	}
	if len(errs) > 0 {
		return http.StatusUnprocessableEntity, validationError{Message: "The given data was invalid.", Errors: errs}
	}
	if spec.automation {
		if _, ok := u.data.automationByID(in.automation); !ok {
			return http.StatusNotFound, map[string]string{"message": "Automation not found."}
		}
	}
	resp := actionResponse{
		CreatedAt: s.now().UTC().Format(createdAtLayout),
		Contact: contactOut{
			Number:    in.phone,
			Type:      "sms",
			FirstName: in.firstName,
			LastName:  in.lastName,
			Email:     in.email,
			Bday:      in.bday,
			Note:      note(in.firstName, in.lastName),
		},
		Install:    installOut{Number: install.Number, Website: install.Website},
		Department: departmentOut{Name: in.department},
	}
	if spec.message {
		resp.Message = json.RawMessage("null")
		if in.message != nil {
			resp.Message, _ = json.Marshal(*in.message)
		}
	}
	return http.StatusOK, resp
}

// note joins the contact's names as the docs' "note": "Test User" does.
func note(first, last *string) *string {
	var parts []string
	for _, p := range []*string{first, last} {
		if p != nil {
			parts = append(parts, *p)
		}
	}
	if len(parts) == 0 {
		return nil
	}
	n := strings.Join(parts, " ")
	return &n
}
