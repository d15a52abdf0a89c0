package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"switchboard/internal/config"
)

// healthcheckTimeout bounds the whole check; container runtimes time the
// command out themselves too, but a hung probe must not pile up processes.
const healthcheckTimeout = 3 * time.Second

// healthcheck is the "gateway healthcheck" subcommand, for the HEALTHCHECK
// of an image that has no shell or curl (distroless): it GETs /healthz of
// the gateway in the same container and returns the exit code, 0 for a 200
// and 1 otherwise. The port comes from SWITCHBOARD_ADDR (default :8080);
// a wildcard or empty host is probed on 127.0.0.1, a specific one as given.
// A failure is one JSON line on stderr.
func healthcheck(getenv func(string) string, stderr io.Writer) int {
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	target, err := healthcheckURL(getenv("SWITCHBOARD_ADDR"))
	if err != nil {
		logger.Error("healthcheck failed", "error", err.Error())
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		logger.Error("healthcheck failed", "error", err.Error())
		return 1
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		logger.Error("healthcheck failed", "url", target, "error", err.Error())
		return 1
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		logger.Error("healthcheck failed", "url", target, "status", resp.StatusCode)
		return 1
	}
	return 0
}

// healthcheckURL turns a listen address into the /healthz URL to probe.
func healthcheckURL(addr string) (string, error) {
	if addr == "" {
		addr = config.DefaultAddr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" || port == "0" {
		return "", fmt.Errorf("SWITCHBOARD_ADDR: must be host:port with a fixed port to probe")
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}
