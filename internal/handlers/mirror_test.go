package handlers

import (
	"encoding/json"
	"testing"
	"time"

	"switchboard/internal/domain"
	"switchboard/internal/mirror"
)

func TestTheMirrorCoversAWindowFromItsCoveredFromOn(t *testing.T) {
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name        string
		coveredFrom time.Time
		since       time.Time
		want        bool
	}{
		{"a mirror still backfilling covers nothing", time.Time{}, day, false},
		{"a mirror still backfilling does not cover the whole history", time.Time{}, time.Time{}, false},
		{"the epoch covers the whole history", time.Unix(0, 0), time.Time{}, true},
		{"the epoch covers any window", time.Unix(0, 0), day, true},
		{"a window starting at covered_from is covered", day, day, true},
		{"a window starting after covered_from is covered", day, day.Add(time.Millisecond), true},
		{"a window starting a millisecond before covered_from is not", day, day.Add(-time.Millisecond), false},
		{"the whole history is not covered by a retention-bound mirror", day, time.Time{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := covers(mirror.State{CoveredFrom: c.coveredFrom}, c.since); got != c.want {
				t.Fatalf("covers(covered_from %v, since %v): got %v, want %v", c.coveredFrom, c.since, got, c.want)
			}
		})
	}
}

func TestACampaignIDResolvesToItsCompanyAndAnUnambiguousName(t *testing.T) {
	campaigns := []domain.Campaign{
		{ID: "s1", Name: "Facebook", CompanyID: "1001"},
		{ID: "s2", Name: "Billboard", CompanyID: "1001"},
		{ID: "s3", Name: "Billboard", CompanyID: "1001"}, // same name, same company
		{ID: "s4", Name: "Facebook", CompanyID: "2002"},  // same name, other company
		{ID: "s5", Name: "", CompanyID: "2002"},
	}
	cases := []struct {
		name, id, company     string
		wantCompany, wantName string
		wantOK                bool
	}{
		{"a unique name resolves", "s1", "", "1001", "Facebook", true},
		{"a name shared with another company's campaign still resolves", "s4", "", "2002", "Facebook", true},
		{"with its own company_id it resolves", "s1", "1001", "1001", "Facebook", true},
		{"with another company_id it goes upstream", "s1", "2002", "", "", false},
		{"a name shared within the company goes upstream", "s2", "", "", "", false},
		{"an unknown id goes upstream", "s9", "", "", "", false},
		{"a campaign without a name goes upstream", "s5", "", "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			co, name, ok := resolveCampaign(campaigns, c.id, c.company)
			if co != c.wantCompany || name != c.wantName || ok != c.wantOK {
				t.Fatalf("resolveCampaign(%s, %q): got (%q, %q, %v), want (%q, %q, %v)",
					c.id, c.company, co, name, ok, c.wantCompany, c.wantName, c.wantOK)
			}
		})
	}
}

func TestAMirrorCursorIsBoundAndNeverTakenForAnUpstreamOne(t *testing.T) {
	s := cursorSigner{key: []byte("0123456789abcdef0123456789abcdef")}
	srv := &Server{cursors: s}
	tenant := &Tenant{ID: "acme"}
	c, err := srv.mirrorCursorFor(tenant, "digest", mirror.Query{CompanyID: "1001", CampaignName: "Facebook"},
		mirror.Key{StartedAt: 1_700_000_000_000, ID: "6315"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("it opens for its tenant and filters with its keyset", func(t *testing.T) {
		p, err := s.open(c, "acme", "digest")
		if err != nil || p.Version != mirrorVersion || p.At != 1_700_000_000_000 || p.ID != "6315" ||
			p.Company != "1001" || p.Campaign != "Facebook" {
			t.Fatalf("got %+v, %v; want the mirror keyset back", p, err)
		}
	})
	for _, tc := range []struct{ name, cursor, tenant, digest string }{
		{"another tenant's use is refused", c, "beta", "digest"},
		{"use with other filters is refused", c, "acme", "other"},
		{"a changed character is refused", c[:10] + flip(c[10]) + c[11:], "acme", "digest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.open(tc.cursor, tc.tenant, tc.digest)
			if domain.AsError(err).Code != domain.CodeInvalidCursor {
				t.Fatalf("got %v, want invalid-cursor", err)
			}
		})
	}
	t.Run("the upstream path refuses it", func(t *testing.T) {
		if _, err := s.verify(c, "acme", "digest"); domain.AsError(err).Code != domain.CodeInvalidCursor {
			t.Fatalf("got %v, want invalid-cursor", err)
		}
	})
}

func flip(b byte) string {
	if b == 'A' {
		return "B"
	}
	return "A"
}

func TestTheSyncStatusReportsTheMirrorsState(t *testing.T) {
	at := time.Date(2026, 11, 21, 10, 15, 30, 500_000_000, time.UTC)
	cases := []struct {
		name string
		st   mirror.State
		want string
	}{
		{"a mirror never synced is backfilling with nothing covered",
			mirror.State{},
			`{"state":"backfilling","covered_from":null,"synced_at":null,"calls":7,"last_error":null}`},
		{"a backfill that reached the beginning of history covers from the epoch",
			mirror.State{BackfillDone: true, CoveredFrom: time.Unix(0, 0), SyncedAt: at},
			`{"state":"following","covered_from":"1970-01-01T00:00:00Z","synced_at":"2026-11-21T10:15:30Z","calls":7,"last_error":null}`},
		{"a failed request makes it failing and names the problem and when",
			mirror.State{BackfillDone: true, CoveredFrom: at, SyncedAt: at, LastError: "upstream-unavailable", LastErrorAt: at},
			`{"state":"failing","covered_from":"2026-11-21T10:15:31Z","synced_at":"2026-11-21T10:15:30Z","calls":7,"last_error":{"type":"upstream-unavailable","at":"2026-11-21T10:15:30Z"}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := json.Marshal(syncStatusOf(c.st, 7))
			if err != nil || string(b) != c.want {
				t.Fatalf("got %s (%v), want %s", b, err, c.want)
			}
		})
	}
	t.Run("a window since covered_from as shown is covered", func(t *testing.T) {
		for _, from := range []time.Time{at, at.Add(-499 * time.Millisecond), at.Truncate(time.Second), time.Unix(0, 0)} {
			st := mirror.State{BackfillDone: true, CoveredFrom: from, SyncedAt: at}
			shown := syncStatusOf(st, 7).CoveredFrom
			if !covers(st, *shown) {
				t.Errorf("covered_from %v is shown as %v, which the mirror does not cover", from, shown)
			}
		}
	})
}
