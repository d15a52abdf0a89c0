// Package ratelimit keeps Switchboard within the rates it has agreed to: the
// Phonewagon request budget (at most N upstream requests per account in any
// sliding 60-second window, counted across every replica) and the inbound
// per-tenant limit enforced by httprate.
//
// The budget is a Store (MemoryStore for a single replica, RedisStore shared
// by many) behind a Budget, which is what the Phonewagon client waits on. A
// Budget keeps serving when Redis is down: it falls back to a per-replica
// MemoryStore admitting a conservative share of the limit, and returns to the
// shared store once Redis answers again.
//
// The inbound limit plugs into httprate through its LimitCounter seam:
// RedisLimitCounter counts across replicas, and FallbackLimitCounter keeps
// the limit working (per replica) while Redis is unreachable instead of
// failing every request.
//
// The package never logs; failures of the shared store are reported through
// optional hooks so that the caller decides what to log and count.
package ratelimit
