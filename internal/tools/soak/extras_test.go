package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"switchboard/internal/config"
	"switchboard/internal/sandbox/phonewagonsim"
)

func TestReadStreamParsesEventsAndComments(t *testing.T) {
	body := ": keep-alive\n" +
		"id: 1764676800000-0\nevent: call.created\ndata: {\"id\":\"1764676800000-0\",\"data\":{\"id\":\"5001\"}}\n\n" +
		"id: 1764676800000-1\r\nevent: call.updated\r\ndata: {\"id\":\"1764676800000-1\",\"data\":{\"id\":\"5001\"}}\r\n\r\n" +
		": live\n" +
		"id: 1764676800001-0\nevent: call.created\ndata: {\"data\":{\"id\":\"5002\"}}\n\n"
	var got []streamEvent
	var comments []string
	err := readStream(strings.NewReader(body), func(e streamEvent) bool { got = append(got, e); return true },
		func(c string) bool { comments = append(comments, c); return true })
	if err != nil {
		t.Fatal(err)
	}
	want := []streamEvent{
		{ID: "1764676800000-0", Type: "call.created", CallID: "5001"},
		{ID: "1764676800000-1", Type: "call.updated", CallID: "5001"},
		{ID: "1764676800001-0", Type: "call.created", CallID: "5002"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d events %v, want %v", len(got), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if strings.Join(comments, ",") != "keep-alive,live" {
		t.Errorf("got comments %v, want keep-alive and live", comments)
	}
}

func TestEventIDLessComparesNumerically(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"0-0", "1764676800000-0", true},
		{"999-5", "1000-0", true}, // not string order
		{"1000-2", "1000-10", true},
		{"1000-10", "1000-2", false},
		{"1000-0", "1000-0", false},
	}
	for _, tt := range tests {
		if got := eventIDLess(tt.a, tt.b); got != tt.want {
			t.Errorf("eventIDLess(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestSSEClientCountsDuplicatesAndDisorder(t *testing.T) {
	c := newSSEClient(&tenantState{ID: "t7"}, sseSteady)
	for _, id := range []string{"10-0", "11-0", "11-0", "12-0"} {
		c.receive(streamEvent{ID: id})
	}
	c.receive(streamEvent{ID: "9-0"}) // older than the last: out of order
	got := c.tally()
	if got.Received != 4 || got.Duplicates != 1 || got.OutOfOrder != 1 {
		t.Errorf("got %+v, want 4 received, 1 duplicate, 1 out of order", got)
	}
	if !c.hasAll([]string{"10-0", "12-0"}) || c.hasAll([]string{"13-0"}) {
		t.Error("hasAll does not reflect what was received")
	}
}

func TestFlakyFailuresAreBoundedAndAShare(t *testing.T) {
	counts := map[int]int{}
	timeouts := 0
	for i := range 10000 {
		n, timeout := flakyFailures(1, "1764676800000-"+strconv.Itoa(i))
		counts[n]++
		if timeout {
			timeouts++
		}
	}
	if counts[0]+counts[1]+counts[2] != 10000 {
		t.Fatalf("got failure counts outside 0..2: %v", counts)
	}
	// 60 % / 30 % / 10 % by construction; a wide margin keeps the test
	// about the shape, not the hash.
	if counts[0] < 5000 || counts[1] < 2000 || counts[2] < 500 {
		t.Errorf("got %v, want about 6000/3000/1000", counts)
	}
	if timeouts < 1500 || timeouts > 3500 {
		t.Errorf("got %d timeouts, want about a quarter", timeouts)
	}
}

func TestDisruptionWindows(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	d := &disruptions{
		RedisStop: t0, RedisUp: t0.Add(3 * time.Second),
		KilledName: "r2", Kill: t0.Add(time.Minute), KillUp: t0.Add(time.Minute + time.Second),
	}
	tests := []struct {
		name     string
		from, to time.Time
		want     bool
	}{
		{"entirely before the restart", t0.Add(-5 * time.Second), t0.Add(-time.Second), false},
		{"across the stop", t0.Add(-time.Second), t0.Add(time.Second), true},
		{"within the recovery grace", t0.Add(4 * time.Second), t0.Add(5 * time.Second), true},
		{"after the grace", t0.Add(9 * time.Second), t0.Add(10 * time.Second), false},
	}
	for _, tt := range tests {
		if got := d.restartedAcross(tt.from, tt.to); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	if !d.killedDuring("r2", t0.Add(59*time.Second), t0.Add(61*time.Second)) {
		t.Error("a request in flight on r2 at the kill is not excused")
	}
	if d.killedDuring("r1", t0.Add(59*time.Second), t0.Add(61*time.Second)) {
		t.Error("a request on another replica is excused")
	}
	if d.killedDuring("r2", t0.Add(30*time.Second), t0.Add(31*time.Second)) {
		t.Error("a request answered before the kill is excused")
	}
	if (&disruptions{}).restartedAcross(t0, t0) || (&disruptions{}).killedDuring("r2", t0, t0) {
		t.Error("without disruptions nothing is excused")
	}
}

func TestLedgerExcusesOnlyKeysSentAcrossTheRestart(t *testing.T) {
	l := newLedger("test")
	t0 := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	l.settle("m1", true, nil, t0, t0.Add(time.Second))
	l.settle("m2", true, nil, t0.Add(time.Minute), t0.Add(time.Minute+time.Second))
	l.settle("m3", false, nil, t0, t0.Add(time.Second)) // sent once: never excused
	l.mu.Lock()
	l.mismatch("m1", "m1 broke")
	l.mismatch("m2", "m2 broke")
	l.mu.Unlock()
	s := l.summarize(func(from, to time.Time) bool { return from.Before(t0.Add(time.Second)) })
	if s.Mismatches != 1 || s.MismatchesAcrossRestart != 1 {
		t.Errorf("got %d mismatches and %d across the restart, want 1 and 1", s.Mismatches, s.MismatchesAcrossRestart)
	}
	if !s.AcrossRestart["m1"] || s.AcrossRestart["m2"] || s.AcrossRestart["m3"] {
		t.Errorf("got across-restart markers %v, want m1 alone", s.AcrossRestart)
	}
}

func TestCheckEventsCountsMissedAndDuplicates(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	logs := []accountLog{{
		Account: pwClientID(firstMirroredAccount),
		Events: []streamEvent{
			{ID: "1-0", Type: "call.created"}, {ID: "2-0", Type: "call.updated"}, {ID: "3-0", Type: "call.created"},
		},
		BeforeRestart: []streamEvent{{ID: "0-5", Type: "call.created"}},
	}}
	c := newSSEClient(&tenantState{ID: "t7"}, sseHopQuery)
	c.receive(streamEvent{ID: "0-5"})
	c.receive(streamEvent{ID: "1-0"})
	c.receive(streamEvent{ID: "3-0"})
	rc := &receiver{Index: 3, Spec: receiverSpec{Tenant: "t8", Flaky: true, Types: []string{"call.created"}},
		tries: map[string]int{}, acked: map[string][]time.Time{
			"1-0": {t0, t0.Add(20 * time.Second)},                               // delivered again after a 2xx
			"3-0": {t0.Add(time.Minute - time.Second), t0.Add(2 * time.Minute)}, // 2xx just before the kill
		}}
	d := &disruptions{Kill: t0.Add(time.Minute), KillUp: t0.Add(time.Minute + time.Second), KilledName: "r2"}
	sses, hooks := checkEvents(logs, []*sseClient{c}, []*receiver{rc}, d)
	if s := sses[0]; s.Expected != 3 || s.Missed != 1 || s.BeforeRestart != 1 {
		t.Errorf("sse: got %+v, want 3 expected, 1 missed (2-0), 1 of the lost events received", s)
	}
	if h := hooks[0]; h.Expected != 2 || h.Missed != 0 || h.Duplicates != 1 || h.DuplicatesAfterKill != 1 {
		t.Errorf("webhook: got %+v, want 2 expected (created only), 0 missed, 1 duplicate, 1 after the kill", h)
	}
	rep := eventsReport{Logs: logs, SSE: sses, Webhooks: hooks}
	f := strings.Join(rep.failures(), " ")
	if !strings.Contains(f, "sse_missed.t7.hop-query") || !strings.Contains(f, "webhook_duplicates.t8.3") {
		t.Errorf("got failures %q, want the SSE miss and the webhook duplicate named", f)
	}
}

func TestSameStateComparesStatusAndDuration(t *testing.T) {
	done, inProgress := "completed", "in-progress"
	var dur, zero int64 = 54, 0
	c := phonewagonsim.Call{ID: 7, Status: "completed", Duration: 54}
	if !sameState(&done, &dur, c) {
		t.Error("the same record differs")
	}
	if sameState(&inProgress, &zero, c) {
		t.Error("an in-progress record matches the completed one")
	}
	if sameState(&done, &dur, phonewagonsim.Call{}) {
		t.Error("a record matches a call the simulator does not hold")
	}
}

func TestTopologyMirrorsTheLastTenantsOnLiveAccounts(t *testing.T) {
	specs := topology()
	accounts := map[int][]string{}
	for _, s := range specs {
		if s.Mirror != mirroredAccount(s.PWAccount) {
			t.Errorf("%s: mirror %v on account %d", s.ID, s.Mirror, s.PWAccount)
		}
		if s.Mirror {
			accounts[s.PWAccount] = append(accounts[s.PWAccount], s.ID)
		}
	}
	if len(accounts) != numPWAccounts-firstMirroredAccount || len(accounts[firstMirroredAccount]) != 2 {
		t.Errorf("got mirrored accounts %v, want two, the first shared by two tenants", accounts)
	}
	for _, r := range receiverSpecs() {
		if !specs[tenantIndex(r.Tenant)].Mirror {
			t.Errorf("receiver of %s, a tenant without a mirror", r.Tenant)
		}
	}
}

func tenantIndex(id string) int {
	for i, s := range topology() {
		if s.ID == id {
			return i
		}
	}
	return -1
}

func TestSplitDuplicatesLeavesTheTallyWhole(t *testing.T) {
	tally := map[string]int{"m1": 2, "m2": 3, "m3": 1}
	outside, inside := splitDuplicates(tally, map[string]bool{"m2": true, "m3": true})
	if outside != 1 || inside != 2 {
		t.Errorf("got %d outside and %d across the restart, want 1 and 2", outside, inside)
	}
	if got := lost([]string{"m1", "m2", "m3"}, tally); len(got) != 0 {
		t.Errorf("got lost %v after the split, want none: the markers are still performed", got)
	}
}

func TestTenantsFileMirrorsAndHooksTheMirroredTenants(t *testing.T) {
	creds := newCredentials()
	var urls []string
	for i := range receiverSpecs() {
		urls = append(urls, "http://127.0.0.1:1/hooks/"+strconv.Itoa(i))
	}
	path := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := writeTenantsFile(path, "http://127.0.0.1:2/api/v1", "http://127.0.0.1:3", 120, urls); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range creds.secretEnv() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	tenants, err := config.ParseTenants(data, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the tenants file does not load: %v", err)
	}
	if len(tenants) != numTenants {
		t.Fatalf("got %d tenants, want %d", len(tenants), numTenants)
	}
	hooks := 0
	for i, tn := range tenants {
		spec := topology()[i]
		if (tn.Phonewagon.Mirror != nil) != spec.Mirror {
			t.Errorf("%s: mirror %v, want %v", tn.ID, tn.Phonewagon.Mirror != nil, spec.Mirror)
		}
		if spec.Mirror && tn.Phonewagon.Mirror.SyncInterval != mirrorSyncInterval {
			t.Errorf("%s: sync interval %s, want %s", tn.ID, tn.Phonewagon.Mirror.SyncInterval, mirrorSyncInterval)
		}
		hooks += len(tn.Webhooks)
	}
	if hooks != len(receiverSpecs()) {
		t.Errorf("got %d webhook endpoints, want %d", hooks, len(receiverSpecs()))
	}
	if strings.Contains(string(data), creds.WebhookSecrets[0].Reveal()) {
		t.Error("the tenants file holds a webhook secret; it must name its variable")
	}
}
