package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxBody caps how much of an answer is read; a calls page of 100 records
// is some 150 KiB.
const maxBody = 16 << 20

// client sends the workload's requests and records each outcome. It is
// safe for concurrent use.
type client struct {
	http *http.Client
	tr   *http.Transport
	rec  *recorder
}

func newClient(rec *recorder) *client {
	tr := &http.Transport{
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	}
	return &client{http: &http.Client{Transport: tr, Timeout: clientTimeout}, tr: tr, rec: rec}
}

// response is an answer read whole.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	Slug   string // the problem slug of a problem+json answer
	// NotRetriable is a problem's "retriable": false: the upstream may
	// have acted, so a retry with the same key must replay this answer.
	NotRetriable bool
}

// replayed reports whether the gateway replayed a stored answer.
func (r response) replayed() bool { return r.Header.Get("Idempotent-Replayed") == "true" }

// call is one request of the workload.
type call struct {
	Replica *replica
	Tenant  *tenantState
	Method  string
	Path    string // with its query
	Body    []byte // JSON; nil for a GET
	Header  map[string]string
	Op      string // the operation's name in samples
}

// do sends c, records its outcome and returns the answer; ok is false when
// no answer arrived.
func (cl *client) do(ctx context.Context, c call) (response, bool) {
	start := time.Now()
	resp, err := cl.send(ctx, c)
	o := outcome{Tenant: c.Tenant.ID, Replica: c.Replica.Name, Op: c.Op, Start: start, Latency: time.Since(start), Err: err}
	if err == nil {
		o.Status, o.Slug, o.Cache = resp.Status, resp.Slug, resp.Header.Get("X-Cache")
		if o.unexpected5xx() {
			o.Detail = string(resp.Body[:min(len(resp.Body), 300)])
		}
	}
	cl.rec.add(o)
	return resp, err == nil
}

func (cl *client) send(ctx context.Context, c call) (response, error) {
	var body io.Reader
	if c.Body != nil {
		body = bytes.NewReader(c.Body)
	}
	req, err := http.NewRequestWithContext(ctx, c.Method, c.Replica.URL()+c.Path, body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", c.Method, c.Path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Tenant.Token.Reveal())
	if c.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range c.Header {
		req.Header.Set(k, v)
	}
	resp, err := cl.http.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return response{}, err
	}
	out := response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		var p struct {
			Type      string `json:"type"`
			Retriable *bool  `json:"retriable"`
		}
		if json.Unmarshal(b, &p) == nil {
			out.Slug = strings.TrimPrefix(p.Type, "/problems/")
			out.NotRetriable = p.Retriable != nil && !*p.Retriable
		}
		if out.Slug == "" {
			out.Slug = "unparsable-problem"
		}
	}
	return out, nil
}

// closeIdle drops the client's idle connections to the replicas.
func (cl *client) closeIdle() { cl.tr.CloseIdleConnections() }
