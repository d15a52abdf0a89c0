package callwidgetsim

import "slices"

// DocsExamples are the records the vendor docs' examples name: the install
// +17866275049 (id 1, on http://www.test.com, as the action answers show),
// "Test Department" (id 1) and the "Sales" department every example body
// sends, the tag "VIP" (id 1) and "Keyword Automation" (id 1, the
// automation "1" of the new-automation example). The gateway's OpenAPI
// examples name the same ones, so "Try it out" in sandbox mode works as
// filled in.
var DocsExamples = Dataset{
	Installs:    []Install{{ID: 1, Number: "+17866275049", Website: "http://www.test.com"}},
	Departments: []Lookup{{ID: 1, Name: "Test Department", Label: "Test Department"}, {ID: 2, Name: "Sales", Label: "Sales"}},
	Tags:        []Lookup{{ID: 1, Name: "VIP", Label: "VIP"}},
	Automations: []Lookup{{ID: 1, Name: "Keyword Automation", Label: "Keyword Automation"}},
}

// withExamples returns d with DocsExamples first in each list. A generated
// record that shares an example's id, name or number is dropped, so that
// ids and names stay unique.
func withExamples(d Dataset) Dataset {
	ex := DocsExamples
	out := Dataset{Installs: slices.Clone(ex.Installs)}
	for _, in := range d.Installs {
		if !slices.ContainsFunc(ex.Installs, func(e Install) bool { return e.ID == in.ID || e.Number == in.Number }) {
			out.Installs = append(out.Installs, in)
		}
	}
	out.Departments = mergeLookups(ex.Departments, d.Departments)
	out.Tags = mergeLookups(ex.Tags, d.Tags)
	out.Automations = mergeLookups(ex.Automations, d.Automations)
	return out
}

// mergeLookups is examples followed by the generated lookups that clash
// with none of them.
func mergeLookups(examples, generated []Lookup) []Lookup {
	out := slices.Clone(examples)
	for _, g := range generated {
		if !slices.ContainsFunc(examples, func(e Lookup) bool { return e.ID == g.ID || e.Name == g.Name }) {
			out = append(out, g)
		}
	}
	return out
}
