package callwidgetsim_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"switchboard/internal/sandbox/callwidgetsim"
)

func TestLookupsHaveTheDocumentedShape(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.login(t, aliceEmail, alicePass)
	d := f.dataset(t, aliceEmail)
	var installs []callwidgetsim.Lookup
	for _, in := range d.Installs {
		installs = append(installs, callwidgetsim.Lookup{ID: in.ID, Name: in.Number, Label: in.Number})
	}
	tests := []struct {
		name     string
		path     string
		min, max int
		want     []callwidgetsim.Lookup
	}{
		{"installs are 2–3 phone numbers", "/share/installs", 2, 3, installs},
		{"departments are 3", "/share/departments", 3, 3, d.Departments},
		{"tags are 5–8", "/share/tags", 5, 8, d.Tags},
		{"automations are 3–5", "/share/automations", 3, 5, d.Automations},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.mustDo(t, http.MethodGet, tt.path, tok.AccessToken, "")
			if resp.status != http.StatusOK {
				t.Fatalf("got %d, want 200", resp.status)
			}
			items := decode[[]map[string]any](t, resp.body)
			if n := len(items); n < tt.min || n > tt.max {
				t.Errorf("got %d items, want %d–%d", n, tt.min, tt.max)
			}
			for _, it := range items {
				id, isNum := it["id"].(float64)
				name, isStr := it["name"].(string)
				label, isLabel := it["label"].(string)
				if len(it) != 3 || !isNum || id != float64(int64(id)) || !isStr || !isLabel || name != label {
					t.Errorf("got %v, want exactly an integer id and equal string name and label", it)
				}
			}
			if got := decode[[]callwidgetsim.Lookup](t, resp.body); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want the dataset's %v", got, tt.want)
			}
		})
	}
	for _, in := range d.Installs {
		n, err := phonenumbers.Parse(in.Number, "")
		if err != nil || !phonenumbers.IsValidNumber(n) || phonenumbers.Format(n, phonenumbers.E164) != in.Number {
			t.Errorf("got install number %q, want a valid E.164 number", in.Number)
		}
	}
}

func TestUsersHaveTheirOwnDeterministicLookups(t *testing.T) {
	f := newFixture(t, nil)
	alice, bob := f.dataset(t, aliceEmail), f.dataset(t, bobEmail)
	if reflect.DeepEqual(alice.Installs, bob.Installs) {
		t.Fatalf("got the same installs for two users, want different ones")
	}
	tok := f.login(t, bobEmail, bobPass)
	got := decode[[]callwidgetsim.Lookup](t, f.mustDo(t, http.MethodGet, "/share/tags", tok.AccessToken, "").body)
	if !reflect.DeepEqual(got, bob.Tags) {
		t.Errorf("got %v for bob, want his own tags %v", got, bob.Tags)
	}
	if again := newFixture(t, nil).dataset(t, aliceEmail); !reflect.DeepEqual(again, alice) {
		t.Errorf("got different lookups from an identical config, want the same")
	}
	if _, ok := f.sim.Dataset("nobody@x.example"); ok {
		t.Errorf("got a dataset for an unknown user, want none")
	}
}
