package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"switchboard/internal/config"
)

// deployDir is the repository's deploy/ folder, seen from this package.
const deployDir = "../../deploy"

// yamlDocs parses every document of every .yaml/.yml file under deploy/,
// failing the test on a syntax error, and returns them by file.
func yamlDocs(t *testing.T) map[string][]map[string]any {
	t.Helper()
	docs := map[string][]map[string]any{}
	err := filepath.WalkDir(deployDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (!strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".yml")) {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		dec := yaml.NewDecoder(f)
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Errorf("%s: %v", path, err)
				break
			}
			if doc != nil {
				rel, _ := filepath.Rel(deployDir, path)
				docs[rel] = append(docs[rel], doc)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatal("no YAML under deploy/")
	}
	return docs
}

// dig walks nested maps and lists by key or index ("0").
func dig(v any, path ...string) any {
	for _, p := range path {
		switch c := v.(type) {
		case map[string]any:
			v = c[p]
		case []any:
			if p != "0" || len(c) == 0 {
				return nil
			}
			v = c[0]
		default:
			return nil
		}
	}
	return v
}

// shutdownTimeout is what a container's env sets, else the default.
func shutdownTimeout(t *testing.T, env map[string]string) time.Duration {
	t.Helper()
	v, ok := env["SWITCHBOARD_SHUTDOWN_TIMEOUT"]
	if !ok {
		return config.DefaultShutdownTimeout
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("SWITCHBOARD_SHUTDOWN_TIMEOUT %q: %v", v, err)
	}
	return d
}

func TestKubernetesManifests(t *testing.T) {
	byKind := map[string]map[string]any{}
	for file, docs := range yamlDocs(t) {
		if !strings.HasPrefix(file, "kubernetes/") {
			continue
		}
		for _, d := range docs {
			kind, _ := d["kind"].(string)
			if kind == "" || d["apiVersion"] == nil {
				t.Errorf("%s: a document without kind or apiVersion", file)
			}
			if kind != "Secret" {
				byKind[kind] = d
			}
		}
	}
	dep := byKind["Deployment"]
	for _, k := range []string{"Deployment", "Service", "PodDisruptionBudget"} {
		if byKind[k] == nil {
			t.Fatalf("no %s under deploy/kubernetes", k)
		}
	}
	pod := dig(dep, "spec", "template", "spec")
	c := dig(pod, "containers", "0")
	env := map[string]string{}
	for _, e := range dig(c, "env").([]any) {
		env[dig(e, "name").(string)], _ = dig(e, "value").(string)
	}
	grace, _ := dig(pod, "terminationGracePeriodSeconds").(int)
	preStop, _ := dig(c, "lifecycle", "preStop", "sleep", "seconds").(int)
	shutdown := shutdownTimeout(t, env)

	labels := dig(dep, "spec", "template", "metadata", "labels").(map[string]any)
	matches := func(sel any) bool {
		m, ok := sel.(map[string]any)
		if !ok || len(m) == 0 {
			return false
		}
		for k, v := range m {
			if labels[k] != v {
				return false
			}
		}
		return true
	}
	tests := []struct {
		name string
		ok   bool
	}{
		{"the readiness probe GETs /readyz", dig(c, "readinessProbe", "httpGet", "path") == "/readyz"},
		{"the liveness probe GETs /healthz", dig(c, "livenessProbe", "httpGet", "path") == "/healthz"},
		{"the grace period exceeds preStop plus the shutdown timeout",
			time.Duration(grace)*time.Second > time.Duration(preStop)*time.Second+shutdown},
		{"the tenants file is mounted from a Secret", dig(pod, "volumes", "0", "secret", "secretName") != nil &&
			strings.HasPrefix(env["SWITCHBOARD_TENANTS_FILE"], dig(c, "volumeMounts", "0", "mountPath").(string)+"/")},
		{"the disruption budget selects the pods", matches(dig(byKind["PodDisruptionBudget"], "spec", "selector", "matchLabels"))},
		{"the Service selects the pods", matches(dig(byKind["Service"], "spec", "selector"))},
		{"the container runs as non-root", dig(pod, "securityContext", "runAsNonRoot") == true},
		{"three replicas", dig(dep, "spec", "replicas") == 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Errorf("got false, want true (grace %ds, preStop %ds, shutdown %s)", grace, preStop, shutdown)
			}
		})
	}
}

func TestComposeFile(t *testing.T) {
	docs := yamlDocs(t)["compose/compose.yaml"]
	if len(docs) != 1 {
		t.Fatalf("got %d documents in compose/compose.yaml, want 1", len(docs))
	}
	services := dig(docs[0], "services").(map[string]any)
	var gateways int
	for name, s := range services {
		if !strings.HasPrefix(name, "gateway-") {
			continue
		}
		gateways++
		env := map[string]string{}
		for k, v := range dig(s, "environment").(map[string]any) {
			env[k], _ = v.(string)
		}
		stop, err := time.ParseDuration(dig(s, "stop_grace_period").(string))
		if err != nil {
			t.Fatalf("%s stop_grace_period: %v", name, err)
		}
		if shutdown := shutdownTimeout(t, env); stop <= shutdown {
			t.Errorf("%s: got stop_grace_period %s, want more than the shutdown timeout %s", name, stop, shutdown)
		}
		if got := dig(s, "healthcheck", "test"); !strings.Contains(strings.TrimSpace(strings.Join(toStrings(got), " ")), "/gateway healthcheck") {
			t.Errorf("%s: got healthcheck %v, want the gateway healthcheck subcommand", name, got)
		}
		if !strings.HasPrefix(env["SWITCHBOARD_REDIS_URL"], "redis://redis:") {
			t.Errorf("%s: got Redis URL %q, want the compose redis service", name, env["SWITCHBOARD_REDIS_URL"])
		}
	}
	if gateways != 3 {
		t.Errorf("got %d gateway services, want 3", gateways)
	}
	for _, s := range []string{"redis", "lb"} {
		if services[s] == nil {
			t.Errorf("no %s service", s)
		}
	}
	conf, err := os.ReadFile(filepath.Join(deployDir, "compose", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if want := "server gateway-" + string(rune('0'+i)) + ":8080"; !strings.Contains(string(conf), want) {
			t.Errorf("nginx.conf lacks %q", want)
		}
	}
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, len(list))
	for i, x := range list {
		out[i], _ = x.(string)
	}
	return out
}
