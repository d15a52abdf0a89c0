// Package events is the event log of each Phonewagon account with a mirror
// (SPEC §8): the mirror's follow and revisit append call.created and
// call.updated events; server-sent event streams and signed webhooks read
// them. The log lives in memory (one replica) or in Redis Streams (any
// number of replicas, the same ids everywhere).
package events
