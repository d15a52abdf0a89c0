// Package breaker is a circuit breaker for one upstream account: after
// repeated failures it stops sending requests to an upstream that is not
// answering, fails fast instead with 503 upstream-unavailable and a
// Retry-After, probes with a single request after a short interval that
// grows while the upstream stays down, and closes again on the first good
// answer.
//
// A Breaker guards one account of one upstream (a Phonewagon client id, a
// CallWidget login): an outage or a revoked account elsewhere must not stop
// the others. Wrap each upstream call in Do, or use Allow where the call's
// outcome is known later than its start.
//
// What counts as a failure is deliberately narrow (see classify.go): only
// answers that show the upstream is down or broken. An upstream 429 counts
// against the request budget, not here; a refused credential is a
// configuration problem that a 503 would hide; a caller that hung up proves
// nothing.
//
// The package starts no goroutines and never sleeps: every state change
// happens inside a call, measured on the injected clock.
package breaker
