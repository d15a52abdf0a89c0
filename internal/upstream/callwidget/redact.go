package callwidget

import (
	"fmt"
	"io"
)

// fmt prints the unexported fields of a struct without calling their
// String methods, so a domain.Secret inside one of the types below would
// print in clear through %v of its holder. These Format methods make every
// verb print a fixed text instead.

// Format implements fmt.Formatter: a token never prints.
func (t token) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "callwidget.token{[REDACTED]}") }

// Format implements fmt.Formatter: the account's password never prints.
func (a *authenticator) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, "callwidget.authenticator{[REDACTED]}")
}

// Format implements fmt.Formatter: the tokens held never print.
func (s *tokenSource) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, "callwidget.tokenSource{[REDACTED]}")
}

// Format implements fmt.Formatter: a Client holds the account's password
// and tokens, and prints neither.
func (c *Client) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, "callwidget.Client{[REDACTED]}")
}

// Format implements fmt.Formatter: the tokens held never print.
func (t *authTransport) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, "callwidget.authTransport{[REDACTED]}")
}
