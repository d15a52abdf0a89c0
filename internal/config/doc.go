// Package config turns the SWITCHBOARD_* environment variables and the
// tenants file into a validated, typed Config (SPEC §1).
//
// Load is the entry point; ParseTenants validates a tenants document on its
// own. Both report every problem at once, each naming the field as the
// operator writes it (SWITCHBOARD_LOG_LEVEL, tenants[1].phonewagon.client_id)
// and never quoting a value, because values may be secrets. Passwords,
// client secrets, keys and the Redis URL are held as domain.Secret, so a
// Config is safe to print and log.
//
// # Tenants file
//
//	tenants:
//	  - id: acme                      # ^[a-z0-9][a-z0-9_-]{0,62}$
//	    callwidget:                   # optional; at least one upstream
//	      base_url: https://api.callwidget.co/api/v1
//	      email: ops@acme.example
//	      password: ${ACME_CALLWIDGET_PASSWORD}
//	    phonewagon:                   # optional
//	      base_url: https://dev.phonewagon.com
//	      client_id: acme-client
//	      client_secret: ${ACME_PHONEWAGON_SECRET}
//	      budget_per_minute: 50       # optional, 1..10000, default 50
//	      mirror:                     # optional (SPEC §7); "mirror: {}" takes every default
//	        retention: 2160h          # 1h..10y, default 90 days
//	        sync_interval: 15s        # 5s..1h, default 15s
//	        revisit: 2h               # 1m..retention, default 2h
//	        revisit_interval: 5m      # 5s..24h, default 5m
//	    rate_limit_per_minute: 600    # optional, 1..1000000, default 600
//
// Unknown and duplicate keys, wrong types, aliases and a second YAML document
// are errors. base_url is an absolute http or https URL with a host and no
// user info, query or fragment; a trailing slash is trimmed. Tenants whose
// Phonewagon sections name the same account (Phonewagon.Account: scheme,
// host and client_id) share its budget and its mirror, and must agree on
// client_secret, budget_per_minute and the mirror block (all the same
// settings, or none).
//
// # Environment references
//
// A value may contain ${NAME} references, replaced by the variable's value
// after the YAML is parsed, one scalar at a time: a variable can never add
// YAML structure. An unset or empty variable is an error naming the field
// and the variable. A lone "$" is literal, and "$${" stands for a literal
// "${". Integer fields accept a reference whose value is a decimal integer.
package config
