package action

import "strconv"

// Kind names the action endpoint a request body was sent to. It decides
// which fields are allowed and which CallWidget endpoint carries it out.
// The zero Kind is invalid, so that a forgotten initialization is caught.
type Kind int

// The action endpoints of SPEC §3.
const (
	// KindContact is POST /v1/contacts (CallWidget new-contact).
	KindContact Kind = iota + 1
	// KindCall is POST /v1/calls (CallWidget new-call, or new-sms-call when
	// a message is given).
	KindCall
	// KindMessage is POST /v1/messages (CallWidget new-sms).
	KindMessage
	// KindEnrollment is POST /v1/automations/{id}/enrollments (CallWidget
	// new-automation).
	KindEnrollment
)

// Valid reports whether k is one of the declared kinds.
func (k Kind) Valid() bool { return k >= KindContact && k <= KindEnrollment }

// String returns the kind's name, for logs and test names.
func (k Kind) String() string {
	switch k {
	case KindContact:
		return "contact"
	case KindCall:
		return "call"
	case KindMessage:
		return "message"
	case KindEnrollment:
		return "enrollment"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// messageRule is whether a kind forbids, allows or requires "message".
type messageRule int

const (
	messageForbidden messageRule = iota
	messageOptional
	messageRequired
)

// messageRule returns the kind's rule for "message" (see the package doc).
func (k Kind) messageRule() messageRule {
	switch k {
	case KindCall:
		return messageOptional
	case KindMessage:
		return messageRequired
	}
	return messageForbidden
}
