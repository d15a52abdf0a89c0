package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"switchboard/internal/mirror"
)

// syncMetric is the gateway's counter of the mirror's upstream requests,
// labelled account, kind and outcome.
const syncMetric = "switchboard_mirror_sync_requests_total"

// syncCounts are the mirror's sync requests summed over accounts and
// replicas, by kind and outcome.
type syncCounts map[[2]string]int64

// minus returns the requests sent upstream (every outcome but refused)
// since before, by kind, and the refused ones.
func (c syncCounts) minus(before syncCounts) (sent map[string]int64, refused int64) {
	sent = make(map[string]int64)
	for k, n := range c {
		d := n - before[k]
		if k[1] == mirror.OutcomeRefused {
			refused += d
			continue
		}
		sent[k[0]] += d
	}
	return sent, refused
}

// scrapeSync reads syncMetric from every replica's /metrics and sums it.
func scrapeSync(ctx context.Context, replicas []*gateway) (syncCounts, error) {
	sum := make(syncCounts)
	for _, g := range replicas {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.URL+"/metrics", nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("GET /metrics: %w", err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET /metrics: status %d, %v", resp.StatusCode, err)
		}
		counts, err := parseSyncCounts(string(body))
		if err != nil {
			return nil, fmt.Errorf("GET /metrics: %w", err)
		}
		for k, n := range counts {
			sum[k] += n
		}
	}
	return sum, nil
}

// parseSyncCounts reads the syncMetric samples of a Prometheus text
// exposition, summed over accounts.
func parseSyncCounts(text string) (syncCounts, error) {
	out := make(syncCounts)
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, syncMetric+"{")
		if !ok {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok {
			return nil, fmt.Errorf("%s: malformed sample %q", syncMetric, line)
		}
		value, _, _ = strings.Cut(value, " ") // a timestamp may follow
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: value of %q: %w", syncMetric, line, err)
		}
		l := parseLabels(labels)
		if l["kind"] == "" || l["outcome"] == "" {
			return nil, fmt.Errorf("%s: sample %q lacks kind or outcome", syncMetric, line)
		}
		out[[2]string{l["kind"], l["outcome"]}] += int64(v)
	}
	return out, sc.Err()
}

// parseLabels reads name="value" pairs separated by commas; values may hold
// escaped quotes, backslashes and commas.
func parseLabels(s string) map[string]string {
	out := make(map[string]string)
	for s != "" {
		name, rest, ok := strings.Cut(s, `="`)
		if !ok {
			break
		}
		var v strings.Builder
		i := 0
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] == '\\' && i+1 < len(rest) {
				i++
				switch rest[i] {
				case 'n':
					v.WriteByte('\n')
				default:
					v.WriteByte(rest[i])
				}
				continue
			}
			v.WriteByte(rest[i])
		}
		out[strings.TrimSpace(name)] = v.String()
		if i >= len(rest) {
			break
		}
		s = strings.TrimPrefix(rest[i+1:], ",")
	}
	return out
}
