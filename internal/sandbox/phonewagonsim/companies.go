package phonewagonsim

import (
	"net/http"
	"strconv"
)

// companies serves GET /companies: every company of the account.
func (s *Server) companies(w http.ResponseWriter, _ *http.Request, acct *account) {
	writeJSON(w, http.StatusOK, struct {
		Companies []Company `json:"companies"`
	}{acct.data.Companies})
}

// campaigns serves GET /campaigns?company_id=. The docs give company_id in
// the path template without saying what happens without it: a missing or
// non-integer company_id is a 400, an unknown company an empty list.
func (s *Server) campaigns(w http.ResponseWriter, r *http.Request, acct *account) {
	raw := r.URL.Query().Get("company_id")
	if raw == "" {
		writeError(w, http.StatusBadRequest, "bad_request", "company_id is required")
		return
	}
	companyID, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "company_id must be an integer")
		return
	}
	out := []Campaign{}
	for _, c := range acct.data.Campaigns {
		if c.CompanyID == companyID {
			out = append(out, c)
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Campaigns []Campaign `json:"campaigns"`
	}{out})
}
