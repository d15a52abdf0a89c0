package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestConfigPrintsWithoutSecrets checks every way a Config or Tenant is
// likely to be printed: fmt verbs, JSON, and both slog handlers.
func TestConfigPrintsWithoutSecrets(t *testing.T) {
	c, err := Load(envOf(productionEnv()), files)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	tenant := c.Tenants[0]
	slogOut := func(h func(*bytes.Buffer) slog.Handler, key string, v any) string {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("start", key, v)
		return buf.String()
	}
	jsonH := func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }
	textH := func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }
	marshal := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		return string(b)
	}
	outputs := []struct {
		name, out string
	}{
		{"%v of *Config", fmt.Sprintf("%v", c)},
		{"%+v of *Config", fmt.Sprintf("%+v", c)},
		{"%#v of *Config", fmt.Sprintf("%#v", c)},
		{"%+v of Config", fmt.Sprintf("%+v", *c)},
		{"%+v of Tenant", fmt.Sprintf("%+v", tenant)},
		{"%+v of []Tenant", fmt.Sprintf("%+v", c.Tenants)},
		{"%+v of *CallWidget", fmt.Sprintf("%+v", tenant.CallWidget)},
		{"%#v of Phonewagon", fmt.Sprintf("%#v", *tenant.Phonewagon)},
		{"JSON of Config", marshal(c)},
		{"slog JSON of *Config", slogOut(jsonH, "config", c)},
		{"slog text of *Config", slogOut(textH, "config", c)},
		{"slog text of Config", slogOut(textH, "config", *c)},
		{"slog JSON of Config", slogOut(jsonH, "config", *c)},
		{"slog JSON of Tenant", slogOut(jsonH, "tenant", tenant)},
		{"slog text of Tenant", slogOut(textH, "tenant", tenant)},
	}
	for _, o := range outputs {
		t.Run(o.name+" has no secret", func(t *testing.T) {
			if strings.Contains(o.out, canary) {
				t.Errorf("got %s, want no canary", o.out)
			}
		})
	}
	t.Run("%+v of Tenant shows the upstreams, not pointers", func(t *testing.T) {
		out := fmt.Sprintf("%+v", tenant)
		for _, want := range []string{"https://api.callwidget.co/api/v1", "acme-client", "[REDACTED]"} {
			if !strings.Contains(out, want) {
				t.Errorf("got %s, want it to contain %q", out, want)
			}
		}
	})
}

func TestConfigLogValueSummarizesSettings(t *testing.T) {
	c, err := Load(envOf(productionEnv()), files)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", c)
	var line struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("decode %s: %v", buf.String(), err)
	}
	want := map[string]any{
		"addr":           "127.0.0.1:9090",
		"sandbox":        false,
		"redis":          true,
		"jwt_hs256":      true,
		"encryption_key": true,
		"jwt_audience":   "internal-apps",
		"log_level":      "DEBUG",
		"pprof_addr":     "127.0.0.1:6060",
	}
	for k, v := range want {
		if got := line.Config[k]; got != v {
			t.Errorf("config.%s: got %v, want %v", k, got, v)
		}
	}
	if got := fmt.Sprint(line.Config["tenants"]); got != "[acme]" {
		t.Errorf("config.tenants: got %s, want [acme]", got)
	}
}
