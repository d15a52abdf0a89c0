package domain

// Product rules that more than one adapter enforces, kept in one place.
const (
	// DefaultRateLimitPerMinute is a tenant's inbound request limit when its
	// rate_limit_per_minute is absent (SPEC §1, §5).
	DefaultRateLimitPerMinute = 600
	// MaxTenantIDLength is the longest tenant id.
	MaxTenantIDLength = 63
	// MaxBodyBytes is the largest request body accepted (SPEC §3: 64 KiB).
	// The HTTP layer caps every body at it, and the action decoder enforces
	// it itself, so that it is safe without the HTTP layer.
	MaxBodyBytes = 64 << 10
)

// ValidTenantID reports whether id has the shape of a tenant id:
// ^[a-z0-9][a-z0-9_-]{0,62}$. The shape keeps tenant ids safe to use
// verbatim in cache and Redis keys, metric labels, log lines and the
// "tenant" claim of caller tokens; the tenants file and the token verifier
// both check it here.
func ValidTenantID(id string) bool {
	if len(id) == 0 || len(id) > MaxTenantIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}
