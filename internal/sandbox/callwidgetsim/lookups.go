package callwidgetsim

import "net/http"

// installs serves GET /share/installs. The docs show an install as
// {"id","name","label"} with the phone number as both name and label.
func (s *Server) installs(w http.ResponseWriter, _ *http.Request, x *exchange) {
	out := make([]Lookup, 0, len(x.user.data.Installs))
	for _, in := range x.user.data.Installs {
		out = append(out, Lookup{ID: in.ID, Name: in.Number, Label: in.Number})
	}
	writeJSON(w, http.StatusOK, out)
}

// lookup returns the handler of GET /share/departments, /share/tags or
// /share/automations: a bare JSON array, as documented.
func (s *Server) lookup(list func(*Dataset) []Lookup) handler {
	return func(w http.ResponseWriter, _ *http.Request, x *exchange) {
		out := list(&x.user.data)
		if out == nil {
			out = []Lookup{}
		}
		writeJSON(w, http.StatusOK, out)
	}
}
