// Package sandbox groups the simulated upstreams Switchboard runs against when
// the real CallWidget and Phonewagon APIs are out of reach: in tests, in
// benchmarks, in fault-injection tests and in `make run` with
// SWITCHBOARD_SANDBOX=true.
//
// Each simulator is a plain http.Handler built from a Config, so it can be
// mounted with httptest.NewServer or on a 127.0.0.1 listener:
//
//   - callwidgetsim serves the CallWidget API under /api/v1: login, refresh
//     with token rotation, the four lookups and the five actions.
//   - phonewagonsim serves the Phonewagon API: basic auth, the per-account
//     50-requests-per-minute limit, companies, campaigns and the call history
//     with absolute next-URL pagination.
//   - fault is the switch both simulators share to answer with upstream
//     failures on demand (a status, a hang, a reset connection, bad JSON, a
//     truncated body, an unexpected shape).
//
// The simulators follow the vendor docs in /upstreams, including their
// quirks, and decide in code comments where those docs contradict
// themselves. Their data is generated from a seed, so the same Config always
// serves the same records; time comes from an injected clock. Every
// simulator records what it received so tests can assert on upstream
// traffic, is safe for concurrent use, and never panics on any input.
package sandbox
