package domain

import "time"

// ActionResult is CallWidget's answer to an action (a contact created, a
// call requested, a text sent, an automation started), normalized.
type ActionResult struct {
	Source     Source           `json:"source" example:"callwidget"`
	CreatedAt  *time.Time       `json:"created_at" example:"2021-04-26T09:20:08Z" extensions:"x-nullable"`
	Contact    ActionContact    `json:"contact"`
	Install    ActionInstall    `json:"install"`
	Department ActionDepartment `json:"department"`
	// Message is the text sent, on texts and call-and-text requests.
	Message *string `json:"message" example:"Thanks for calling!" extensions:"x-nullable"`
}

// ActionContact is the contact an action was performed for.
type ActionContact struct {
	Phone *string `json:"phone" example:"+17862455063" extensions:"x-nullable"`
	// Channel is how the contact is reached ("sms", "call"), as CallWidget reports it.
	Channel   *string `json:"channel" example:"sms" extensions:"x-nullable"`
	FirstName *string `json:"first_name" example:"Test" extensions:"x-nullable"`
	LastName  *string `json:"last_name" example:"User" extensions:"x-nullable"`
	Email     *string `json:"email" example:"testuser@example.com" extensions:"x-nullable"`
	Birthday  *string `json:"birthday" example:"1990-06-02" extensions:"x-nullable"`
	Note      *string `json:"note" example:"Test User" extensions:"x-nullable"`
}

// ActionInstall is the install (widget number) the action went through.
type ActionInstall struct {
	Phone   *string `json:"phone" example:"+17866275049" extensions:"x-nullable"`
	Website *string `json:"website" example:"http://www.test.com" extensions:"x-nullable"`
}

// ActionDepartment is the department the contact was assigned to.
type ActionDepartment struct {
	Name *string `json:"name" example:"Sales" extensions:"x-nullable"`
}
