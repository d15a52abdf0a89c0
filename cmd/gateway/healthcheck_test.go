package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheckSubcommand(t *testing.T) {
	g := startGateway(t, map[string]string{"SWITCHBOARD_SANDBOX": "true"})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(g.URL, "http://"))
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()

	tests := []struct {
		name, addr string
		want       int
		wantLog    string
	}{
		{"a running gateway on a wildcard address is healthy", ":" + port, 0, ""},
		{"a running gateway on 0.0.0.0 is probed on loopback", "0.0.0.0:" + port, 0, ""},
		{"a running gateway on a specific address is probed there", "127.0.0.1:" + port, 0, ""},
		{"a server answering 503 is unhealthy", strings.TrimPrefix(failing.URL, "http://"), 1, `"status":503`},
		{"nothing listening is unhealthy", closedAddr, 1, `"msg":"healthcheck failed"`},
		{"an address without a port is unhealthy", "localhost", 1, "SWITCHBOARD_ADDR"},
		{"port 0 cannot be probed", ":0", 1, "SWITCHBOARD_ADDR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			got := healthcheck(func(k string) string {
				if k == "SWITCHBOARD_ADDR" {
					return tt.addr
				}
				return ""
			}, &stderr)
			if got != tt.want {
				t.Errorf("got exit code %d, want %d; stderr %s", got, tt.want, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantLog) {
				t.Errorf("got stderr %q, want it to contain %q", stderr.String(), tt.wantLog)
			}
			if tt.want == 0 && stderr.Len() > 0 {
				t.Errorf("got stderr %q on success, want none", stderr.String())
			}
		})
	}
}

func TestHealthcheckURLDefaultsToPort8080(t *testing.T) {
	got, err := healthcheckURL("")
	if err != nil || got != "http://127.0.0.1:8080/healthz" {
		t.Errorf("got %q, %v; want http://127.0.0.1:8080/healthz", got, err)
	}
	got, err = healthcheckURL("[::]:9000")
	if err != nil || got != "http://127.0.0.1:9000/healthz" {
		t.Errorf("got %q, %v; want http://127.0.0.1:9000/healthz", got, err)
	}
}
