package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// probeTimeout bounds one /metrics scrape.
const probeTimeout = 5 * time.Second

// memory is what /proc/<pid>/status says about a process's memory, in KiB.
type memory struct {
	RSS  int64 // VmRSS: resident now
	Peak int64 // VmHWM: the resident high-water mark
}

// readMemory reads pid's VmRSS and VmHWM. Outside Linux it fails.
func readMemory(pid int) (memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, fmt.Errorf("read memory of %d: %w", pid, err)
	}
	return parseStatus(b)
}

// parseStatus picks VmRSS and VmHWM out of a /proc/<pid>/status file.
func parseStatus(b []byte) (memory, error) {
	var m memory
	var rss, hwm bool
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return memory{}, fmt.Errorf("parse %s: unexpected %q", name, rest)
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return memory{}, fmt.Errorf("parse %s: %w", name, err)
		}
		if name == "VmRSS" {
			m.RSS, rss = n, true
		} else {
			m.Peak, hwm = n, true
		}
	}
	if !rss || !hwm {
		return memory{}, fmt.Errorf("parse status: VmRSS or VmHWM missing")
	}
	return m, nil
}

// scraper reads replicas' /metrics without keeping connections open, so
// that scraping adds no idle connection (and goroutine) to what it counts.
type scraper struct{ c *http.Client }

func newScraper() *scraper {
	return &scraper{c: &http.Client{
		Transport: &http.Transport{DisableKeepAlives: true},
		Timeout:   probeTimeout,
	}}
}

// metrics returns the replica's /metrics text.
func (s *scraper) metrics(ctx context.Context, baseURL string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	resp, err := s.c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape: status %d", resp.StatusCode)
	}
	return body, nil
}

// goroutines returns the replica's go_goroutines gauge.
func (s *scraper) goroutines(ctx context.Context, baseURL string) (int, error) {
	body, err := s.metrics(ctx, baseURL)
	if err != nil {
		return 0, err
	}
	v, ok := gaugeValue(body, "go_goroutines")
	if !ok {
		return 0, fmt.Errorf("scrape: no go_goroutines")
	}
	return int(v), nil
}

// sumSeries adds up the samples of metric name whose labels include label
// (e.g. `upstream="phonewagon"`).
func sumSeries(text []byte, name, label string) float64 {
	var sum float64
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		labels, ok := strings.CutPrefix(sc.Text(), name+"{")
		if !ok {
			continue
		}
		end := strings.LastIndex(labels, "}")
		if end < 0 || !strings.Contains(labels[:end], label) {
			continue
		}
		fields := strings.Fields(labels[end+1:])
		if len(fields) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(fields[0], 64); err == nil {
			sum += v
		}
	}
	return sum
}

// gaugeValue returns the value of an unlabelled metric in Prometheus text
// exposition format.
func gaugeValue(text []byte, name string) (float64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || !strings.HasPrefix(rest, " ") {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return 0, false
		}
		return v, true
	}
	return 0, false
}
