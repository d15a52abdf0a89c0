// Package ratelimit keeps Switchboard within the rates it has agreed to: the
// Phonewagon request budget (at most N upstream requests per account in any
// sliding 60-second window, counted across every replica) and the inbound
// per-tenant limit enforced by httprate.
//
// The budget is a Store (MemoryStore for a single replica, RedisStore shared
// by many) behind a Budget, which is what the Phonewagon client waits on.
// Whether Redis is used is decided by the one store health of its client
// (package storehealth). A Budget records every admission in its own ledger
// as well, so it keeps the limit when Redis fails: while Redis is down it
// admits against its ledger (its own admissions and the others' as last
// seen) with its share of the limit, the limit divided by the live replicas
// counted by heartbeats (Replicas); when Redis comes back, or turns out to
// have lost its window (restarted empty, flushed, failed over), every replica
// re-seeds the shared window with its own admissions, and the window is
// trusted again once every live replica has (see Resyncer).
//
// Admissions come in two lanes (lane.go) counted in the one window: a
// caller's live request may use the whole limit, background work (the
// call-history mirror, whose context carries WithLane(ctx, Background)) only
// while a fifth of it, rounded up, stays free, so the mirror never makes a
// caller wait.
//
// The inbound limit plugs into httprate through its LimitCounter seam:
// RedisLimitCounter counts across replicas without Redis on the request's
// path (it answers from memory and exchanges its counts with Redis in one
// round trip every 50 ms), and FallbackLimitCounter keeps the limit working
// (per replica) while Redis is unreachable instead of failing every
// request, on the same store health. Across R replicas the inbound limit
// may admit up to × max(32, limit/64) requests beyond the limit per
// window, a bound RedisLimitCounter documents and enforces; PerLimiter
// gives each tenant's limiter its view of the shared counter.
//
// The package never logs; failures of the shared store are reported through
// optional hooks so that the caller decides what to log and count.
package ratelimit
