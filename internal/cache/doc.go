// Package cache holds the gateway's shared state stores: the read-through
// response cache behind every GET /v1 handler and the CallWidget token
// store (the POST outcomes live in package idempotency). Each store has two
// implementations behind one interface: one in process memory, for a single
// replica with no Redis configured, and one in Redis, shared by replicas.
//
// The Redis implementations never hold a caller's raw data in a key: cache
// keys are hashes (see Key).
package cache
