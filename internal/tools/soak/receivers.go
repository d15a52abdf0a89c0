package main

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// receiverHang is how long a receiver playing a timeout holds an attempt:
// past the gateway's 10 s per attempt (SPEC §8), so the gateway gives up.
const receiverHang = 12 * time.Second

// receiverSpec is one webhook endpoint of a mirrored tenant.
type receiverSpec struct {
	Tenant string
	// Types is the endpoint's events list; nil is every type.
	Types []string
	// Flaky endpoints fail a share of attempts (a 500 or a timeout), each
	// event at most flakyMaxFailures times, so that retries happen and
	// still converge within the drain.
	Flaky bool
}

// receiverSpecs lists the endpoints: each mirrored tenant has a reliable
// one and a flaky one; t8's flaky one takes call.created only.
func receiverSpecs() []receiverSpec {
	return []receiverSpec{
		{Tenant: "t7"}, {Tenant: "t7", Flaky: true},
		{Tenant: "t8"}, {Tenant: "t8", Flaky: true, Types: []string{"call.created"}},
		{Tenant: "t9"}, {Tenant: "t9", Flaky: true},
	}
}

// flakyFailures is how many first attempts of event id a flaky receiver
// fails: 0 for about 60 % of events, 1 for 30 %, 2 for 10 %; and whether
// they are timeouts (a quarter of failed events) rather than 500s.
func flakyFailures(receiver int, id string) (n int, timeout bool) {
	h := fnv.New32a()
	_, _ = fmt.Fprintf(h, "%d/%s", receiver, id)
	v := h.Sum32()
	switch p := v % 10; {
	case p < 6:
		n = 0
	case p < 9:
		n = 1
	default:
		n = 2
	}
	return n, (v/10)%4 == 0
}

// receiver is a webhook endpoint the soak serves on 127.0.0.1. It verifies
// every delivery's Standard Webhooks signature with the reference library
// before anything else, and records what it answered. It is safe for
// concurrent use.
type receiver struct {
	Index int
	Spec  receiverSpec
	URL   string
	wh    *standardwebhooks.Webhook
	srv   *http.Server

	mu        sync.Mutex
	attempts  int
	failed    int // attempts failed on purpose (500 or timeout)
	badSig    int // deliveries whose signature or timestamp did not verify
	badBody   int // verified deliveries whose body is not an event, or whose id is not the webhook-id
	wrongType int // events of a type the endpoint did not list
	tries     map[string]int
	// acked is, per event id, the times this receiver answered 2xx.
	acked map[string][]time.Time
}

// startReceivers serves every receiverSpec with its secret.
func startReceivers(secrets []string) ([]*receiver, error) {
	var out []*receiver
	for i, spec := range receiverSpecs() {
		wh, err := standardwebhooks.NewWebhook(secrets[i])
		if err != nil {
			closeReceivers(out)
			return nil, fmt.Errorf("receiver %d: %w", i, err)
		}
		rc := &receiver{Index: i, Spec: spec, wh: wh, tries: map[string]int{}, acked: map[string][]time.Time{}}
		srv, addr, err := serveLoopback(rc)
		if err != nil {
			closeReceivers(out)
			return nil, fmt.Errorf("receiver %d: %w", i, err)
		}
		rc.srv, rc.URL = srv, "http://"+addr+fmt.Sprintf("/hooks/%s/%d", spec.Tenant, i)
		out = append(out, rc)
	}
	return out, nil
}

// closeReceivers stops the receivers' servers.
func closeReceivers(rs []*receiver) {
	for _, r := range rs {
		_ = r.srv.Close()
	}
}

// dropReceiverConns closes the idle keep-alive connections the replicas
// hold to the receivers (see upstreams.dropIdleConns).
func dropReceiverConns(rs []*receiver) {
	for _, r := range rs {
		r.srv.SetKeepAlivesEnabled(false)
		r.srv.SetKeepAlivesEnabled(true)
	}
}

// Name is "<tenant>.<index>" in the report.
func (r *receiver) Name() string { return fmt.Sprintf("%s.%d", r.Spec.Tenant, r.Index) }

// ServeHTTP takes one delivery attempt.
func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	r.mu.Lock()
	r.attempts++
	r.mu.Unlock()
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	if err := r.wh.Verify(body, req.Header); err != nil {
		r.count(&r.badSig)
		http.Error(w, "signature", http.StatusBadRequest)
		return
	}
	var ev struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	id := req.Header.Get("webhook-id")
	if json.Unmarshal(body, &ev) != nil || ev.ID == "" || ev.ID != id {
		r.count(&r.badBody)
		http.Error(w, "body", http.StatusBadRequest)
		return
	}
	if len(r.Spec.Types) > 0 && !slices.Contains(r.Spec.Types, ev.Type) {
		r.count(&r.wrongType)
	}
	r.mu.Lock()
	r.tries[id]++
	try := r.tries[id]
	r.mu.Unlock()
	if r.Spec.Flaky {
		if n, timeout := flakyFailures(r.Index, id); try <= n {
			r.count(&r.failed)
			if timeout {
				select {
				case <-req.Context().Done():
				case <-time.After(receiverHang):
				}
				return // no answer the gateway waited for
			}
			http.Error(w, "injected failure", http.StatusInternalServerError)
			return
		}
	}
	r.mu.Lock()
	r.acked[id] = append(r.acked[id], time.Now())
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) count(n *int) {
	r.mu.Lock()
	*n++
	r.mu.Unlock()
}

// receiverTally is what a receiver saw, for the analysis.
type receiverTally struct {
	Attempts, Failed, BadSig, BadBody, WrongType int
	Acked                                        map[string][]time.Time
}

func (r *receiver) tally() receiverTally {
	r.mu.Lock()
	defer r.mu.Unlock()
	acked := make(map[string][]time.Time, len(r.acked))
	for k, v := range r.acked {
		acked[k] = slices.Clone(v)
	}
	return receiverTally{Attempts: r.attempts, Failed: r.failed, BadSig: r.badSig, BadBody: r.badBody,
		WrongType: r.wrongType, Acked: acked}
}

// hasAll reports whether the receiver acknowledged every id in want.
func (r *receiver) hasAll(want []string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range want {
		if len(r.acked[id]) == 0 {
			return false
		}
	}
	return true
}
