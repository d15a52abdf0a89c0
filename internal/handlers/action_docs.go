package handlers

// The action routes' request bodies, as the OpenAPI document shows them
// (SPEC §3). The handlers decode with package action; these types only
// document, one per route, so that each route's example body is one the
// route accepts as filled in (a contact refuses "message", a text requires
// it). Their examples name records of the sandbox's demo tenant.

// ContactRequest is the body of POST /v1/contacts and of an enrollment.
type ContactRequest struct {
	// Phone is the contact's number, E.164.
	Phone string `json:"phone" example:"+17862455063" binding:"required"`
	// Install is the number of the install (the business line), E.164;
	// GET /v1/installs lists them as phone.
	Install    string   `json:"install" example:"+17866275049" binding:"required"`
	FirstName  string   `json:"first_name,omitempty" example:"Test" maxLength:"256"`
	LastName   string   `json:"last_name,omitempty" example:"User" maxLength:"256"`
	Email      string   `json:"email,omitempty" example:"testuser@example.com" format:"email"`
	Department string   `json:"department,omitempty" example:"Sales" maxLength:"256"`
	Birthday   string   `json:"birthday,omitempty" example:"1990-06-02" format:"date"`
	Tags       []string `json:"tags,omitempty" example:"VIP" maxItems:"50"`
} // @name ContactRequest

// CallRequest is the body of POST /v1/calls: with a message, the contact
// is called and texted.
type CallRequest struct {
	ContactRequest
	Message string `json:"message,omitempty" example:"Thanks for calling!" maxLength:"1600"`
} // @name CallRequest

// MessageRequest is the body of POST /v1/messages.
type MessageRequest struct {
	ContactRequest
	Message string `json:"message" example:"Thanks for calling!" maxLength:"1600" binding:"required"`
} // @name MessageRequest
