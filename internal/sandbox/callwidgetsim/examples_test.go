package callwidgetsim

import "testing"

// TestAUserWithExamplesHoldsTheDocsRecords checks, over many seeds (some
// generate an id or name the docs use), that the docs' records are there
// and ids, names and numbers stay unique; and that users without Examples
// never hold the docs' install.
func TestAUserWithExamplesHoldsTheDocsRecords(t *testing.T) {
	for seed := int64(0); seed < 200; seed++ {
		d := withExamples(generate(User{Email: "demo@sandbox.test", Seed: seed}))
		if d.Installs[0] != DocsExamples.Installs[0] {
			t.Fatalf("seed %d: first install %+v, want %+v", seed, d.Installs[0], DocsExamples.Installs[0])
		}
		numbers := map[string]bool{}
		for _, in := range d.Installs {
			if numbers[in.Number] {
				t.Fatalf("seed %d: install %s twice", seed, in.Number)
			}
			numbers[in.Number] = true
		}
		for _, list := range []struct {
			name      string
			got, want []Lookup
		}{
			{"departments", d.Departments, DocsExamples.Departments},
			{"tags", d.Tags, DocsExamples.Tags},
			{"automations", d.Automations, DocsExamples.Automations},
		} {
			ids, names := map[int64]bool{}, map[string]bool{}
			for _, l := range list.got {
				if ids[l.ID] || names[l.Name] {
					t.Fatalf("seed %d: %s repeat id %d or name %q", seed, list.name, l.ID, l.Name)
				}
				ids[l.ID], names[l.Name] = true, true
			}
			for _, w := range list.want {
				if !ids[w.ID] || !names[w.Name] {
					t.Fatalf("seed %d: %s lack %+v", seed, list.name, w)
				}
			}
		}
		plain := generate(User{Email: "other@sandbox.test", Seed: seed})
		if _, ok := plain.installByNumber(DocsExamples.Installs[0].Number); ok {
			t.Fatalf("seed %d: a user without examples holds the docs' install", seed)
		}
	}
}
