// Package callwidget is the client of the CallWidget API: login and token
// refresh, and the lookups (installs, departments, tags, automations).
//
// The vendor's JSON shapes stay inside this package; every method returns
// the normalized records of package domain and fails with a *domain.Error
// (wrapped with an operation prefix) whose code says what went wrong
// upstream. The caller's own context cancellation is the exception: it comes
// back as the context's error, because nobody is waiting for an answer.
//
// # Tokens
//
// The account logs in once (POST /api-login with email and password) and
// the token is shared by every request, and through a TokenStore by every
// replica. It is renewed with its refresh token (POST /refresh-token) before
// it expires, and by logging in again when the refresh token is refused.
// Concurrent needs of a token make one login, not one each. When the
// upstream answers 401 to a request, the token is dropped and the request
// sent once more with a new one; a second 401 is upstream-auth-failed.
//
// # Where the vendor docs are silent or contradict themselves
//
//   - expires_in is shown as "XXX": a number or a numeric string is
//     accepted; anything else counts as DefaultTokenLifetime.
//   - A refresh answer without a refresh_token keeps the old one.
//   - The refresh example body has a trailing comma; valid JSON is sent.
//   - Lookup ids are numbers in the examples; strings are accepted too, and
//     ids are served as strings. An empty name or label is null.
//   - A bad login is documented only as "401 Unauthorized"; any 4xx but 408
//     and 429 from a token endpoint counts as the credentials being refused.
//   - No 422 is documented, yet the API refuses input it cannot use (an
//     install that is not the account's) with Laravel's 422 body: that is
//     the caller's validation error, on the gateway's field names (see
//     refusal.go), never an upstream failure.
package callwidget
