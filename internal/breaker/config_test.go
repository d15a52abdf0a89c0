package breaker

import (
	"strings"
	"testing"
	"time"
)

func TestNewValidatesTheConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"a zero config is valid", Config{}, ""},
		{"a negative threshold is refused", Config{FailureThreshold: -1}, "failure_threshold"},
		{"a negative base interval is refused", Config{BaseOpen: -time.Second}, "base_open"},
		{"a negative max interval is refused", Config{MaxOpen: -time.Second}, "max_open"},
		{"a negative probe timeout is refused", Config{ProbeTimeout: -time.Second}, "probe_timeout"},
		{"a max below the base is refused", Config{BaseOpen: 10 * time.Second, MaxOpen: 5 * time.Second}, "max_open"},
		{"a base above the default max is refused", Config{BaseOpen: 2 * time.Minute}, "max_open"},
		{"a max equal to the base is valid", Config{BaseOpen: 5 * time.Second, MaxOpen: 5 * time.Second}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New(tt.cfg)
			if tt.wantErr == "" {
				if err != nil || b == nil {
					t.Fatalf("got %v, want a breaker", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %v, want an error naming %s", err, tt.wantErr)
			}
		})
	}
}

func TestNewFillsInTheDefaults(t *testing.T) {
	b, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if b.threshold != DefaultFailureThreshold || b.baseOpen != DefaultBaseOpen ||
		b.maxOpen != DefaultMaxOpen || b.probeTimeout != DefaultProbeTimeout || b.now == nil {
		t.Errorf("got threshold %d base %v max %v probe %v, want the defaults",
			b.threshold, b.baseOpen, b.maxOpen, b.probeTimeout)
	}
	if got := b.State(); got != Closed {
		t.Errorf("got state %s, want closed", got)
	}
}

func TestStateString(t *testing.T) {
	tests := []struct {
		state State
		want  string
	}{{Closed, "closed"}, {Open, "open"}, {HalfOpen, "half-open"}, {State(7), "State(7)"}}
	for _, tt := range tests {
		t.Run("state "+tt.want+" prints as such", func(t *testing.T) {
			if got := tt.state.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
