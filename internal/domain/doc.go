// Package domain holds Switchboard's vocabulary: the normalized records the
// gateway serves, the error type with its problem slugs, and the secret type.
//
// It imports nothing from the rest of the module. Every adapter (HTTP
// handlers, the upstream clients, the stores) speaks in these types, so
// vendor JSON shapes never travel further than the package that decodes them.
package domain
