package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"
)

// The mirrored-page rows: a page of 100 calls read from the mirror on the
// Redis store, without and with a company_id filter, each against a bare
// net/http baseline answering the same bytes.
const (
	rowMirrorBase   = "f"
	rowMirror       = "g"
	rowMirrorCoBase = "h"
	rowMirrorCo     = "i"
)

// mirrorPath is the request of the mirrored rows (the filter is added to it).
const mirrorPath = "/v1/calls?limit=100"

// mirrorTenant is the tenant of the mirrored rows: its own Phonewagon
// account on the load upstream, with a mirror on the run's Redis.
const mirrorTenant = "m0"

// mirrorWait bounds the wait for the mirror's backfill.
const mirrorWait = 3 * time.Minute

// mirrorRows reports whether row is one of the mirrored rows.
func mirrorRows(row string) bool {
	return row == rowMirrorBase || row == rowMirror || row == rowMirrorCoBase || row == rowMirrorCo
}

// mirrorState is what the mirrored rows share: the tenants file, token and
// Redis prefix of the mirror (backfilled once, kept for the whole run so
// each fresh gateway finds it covered), the filtered path, and the bodies
// the baselines answer.
type mirrorState struct {
	tenants, token, prefix string
	coPath                 string
	bodyFile, coBodyFile   string
}

// prepareMirror starts a gateway on Redis with the mirrored tenant, waits
// until GET /v1/sync reports covered_from (the backfill is done), and
// records both pages' bodies, checking they were served from the mirror.
func (r *runner) prepareMirror(ctx context.Context) error {
	m := &mirrorState{prefix: newPrefix(), tenants: filepath.Join(r.dir, "mirror-tenants.yaml")}
	// An account of its own (the miss rows use 0…missTenants-1), with
	// a budget that backfills the sample history in seconds.
	t := tenantSpec{ID: mirrorTenant, PhonewagonURL: r.upstreamURL, ClientID: accountID(missTenants),
		Budget: missBudget, RateLimit: 1_000_000, Mirror: "{}"}
	if err := writeTenants(m.tenants, []tenantSpec{t}); err != nil {
		return err
	}
	var err error
	if m.token, err = callerToken(r.jwtSecret, mirrorTenant); err != nil {
		return err
	}
	r.mirror = m
	g, err := r.startGateway(ctx, gatewayConfig{CPU: serverCPU, TenantsFile: m.tenants, RedisPrefix: m.prefix})
	if err != nil {
		return err
	}
	defer r.procs.stop(g.child) // the prefix stays until the run ends
	r.logf("mirrored rows: waiting for the backfill of %s", mirrorTenant)
	began := time.Now()
	if err := g.waitCovered(ctx, m.token, mirrorWait); err != nil {
		return err
	}
	r.logf("mirrored rows: backfill done in %s", time.Since(began).Round(100*time.Millisecond))
	body, err := g.mirrored(ctx, mirrorPath, m.token)
	if err != nil {
		return err
	}
	var page struct {
		Data []struct {
			CompanyID *string `json:"company_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return fmt.Errorf("mirrored page: %w", err)
	}
	company := ""
	for _, c := range page.Data {
		if c.CompanyID != nil {
			company = *c.CompanyID
			break
		}
	}
	if company == "" {
		return errors.New("mirrored page: no call with a company_id to filter on")
	}
	m.coPath = mirrorPath + "&company_id=" + url.QueryEscape(company)
	coBody, err := g.mirrored(ctx, m.coPath, m.token)
	if err != nil {
		return err
	}
	m.bodyFile, m.coBodyFile = filepath.Join(r.dir, "mirror-body.json"), filepath.Join(r.dir, "mirror-co-body.json")
	if err := os.WriteFile(m.bodyFile, body, 0o600); err != nil {
		return err
	}
	return os.WriteFile(m.coBodyFile, coBody, 0o600)
}

// waitCovered polls GET /v1/sync until covered_from is set or limit passes.
func (g *gateway) waitCovered(ctx context.Context, token string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		status, _, body, err := g.get(ctx, "/v1/sync", token)
		if err != nil {
			return fmt.Errorf("GET /v1/sync: %w", err)
		}
		var st struct {
			CoveredFrom *time.Time `json:"covered_from"`
			Calls       int        `json:"calls"`
		}
		if status == http.StatusOK && json.Unmarshal(body, &st) == nil && st.CoveredFrom != nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("GET /v1/sync: no covered_from within %v (status %d: %.200s)", limit, status, body)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// mirrored GETs path and checks it is a 200 served from the mirror.
func (g *gateway) mirrored(ctx context.Context, path, token string) ([]byte, error) {
	status, xcache, body, err := g.get(ctx, path, token)
	switch {
	case err != nil:
		return nil, fmt.Errorf("GET %s: %w", path, err)
	case status != http.StatusOK:
		return nil, fmt.Errorf("GET %s: got status %d, want 200: %.200s", path, status, body)
	case xcache != "MIRROR":
		return nil, fmt.Errorf("GET %s: got X-Cache %q, want MIRROR", path, xcache)
	}
	return body, nil
}

// startMirrorRow starts the server of a mirrored row.
func (r *runner) startMirrorRow(ctx context.Context, row string) (loadTarget, error) {
	m := r.mirror
	auth := "Authorization: Bearer " + m.token
	path, body := mirrorPath, m.bodyFile
	if row == rowMirrorCo || row == rowMirrorCoBase {
		path, body = m.coPath, m.coBodyFile
	}
	if row == rowMirrorBase || row == rowMirrorCoBase {
		return r.startBaseline(ctx, body, path, auth)
	}
	g, err := r.startGateway(ctx, gatewayConfig{CPU: serverCPU, TenantsFile: m.tenants, RedisPrefix: m.prefix})
	if err != nil {
		return loadTarget{}, err
	}
	stop := func() { r.procs.stop(g.child) }
	if err := g.waitCovered(ctx, m.token, mirrorWait); err != nil {
		stop()
		return loadTarget{}, err
	}
	if _, err := g.mirrored(ctx, path, m.token); err != nil {
		stop()
		return loadTarget{}, err
	}
	return loadTarget{run: wrkRun{URL: g.URL + path, Header: auth}, stop: stop}, nil
}

// startBaseline starts the bare net/http server answering the bytes of
// bodyFile, and the wrk run of path against it.
func (r *runner) startBaseline(ctx context.Context, bodyFile, path, auth string) (loadTarget, error) {
	addr, err := freeAddr()
	if err != nil {
		return loadTarget{}, err
	}
	c, err := r.procs.start(serverCPU, nil, r.selfBin, "baseline", "-addr", addr, "-body", bodyFile)
	if err != nil {
		return loadTarget{}, err
	}
	if err := waitHTTP(ctx, c, "http://"+addr+"/"); err != nil {
		r.procs.stop(c)
		return loadTarget{}, err
	}
	return loadTarget{run: wrkRun{URL: "http://" + addr + path, Header: auth}, stop: func() { r.procs.stop(c) }}, nil
}
