// Package mirror keeps a synced copy of a Phonewagon account's call history
// in the shared state (Redis, or memory without Redis) and answers call
// queries from it without spending the account's upstream budget (SPEC §7).
//
// The files say what they do:
//
//   - store.go: the Store interface, its records and queries; store_memory.go
//     and store_redis.go implement it, and store_suite_test.go is the one
//     conformance suite both pass.
//   - lease.go: one syncer per account across replicas, with a fencing token
//     that every write of the sync carries.
//   - walk.go, backfill.go, follow.go, revisit.go: the three kinds of sync
//     work, each an exact walk of the upstream's pages (no call lost or
//     repeated at a page boundary), checkpointed so an interrupted walk
//     resumes where it stopped.
//   - announce.go: the changes a follow or revisit made, given to OnChange
//     at least once: left pending in the store with the write, cleared once
//     given, and given again by the next holder when one died in between.
//   - retention.go: trimming calls past the retention, and what that does
//     to CoveredFrom.
//   - syncer.go: the loop per account that takes and renews the lease
//     (NewSyncer, Run, Status); holder.go: the work of one lease grant,
//     scheduled page by page through the budget's background lane.
//   - query.go: filters and the keyset cursor of a mirrored page.
package mirror
