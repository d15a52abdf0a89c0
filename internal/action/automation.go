package action

import "switchboard/internal/domain"

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
