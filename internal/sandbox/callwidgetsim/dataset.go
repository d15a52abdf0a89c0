package callwidgetsim

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
)

// Lookup is a department, tag or automation, in the documented shape.
type Lookup struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Label string `json:"label"`
}

// Install is one of a user's installs: a phone number the widget calls and
// texts from, on a website. GET /share/installs shows the number as both
// name and label, like the docs; the website only appears in action answers.
type Install struct {
	ID      int64
	Number  string // E.164
	Website string
}

// Dataset is one user's lookups, in the order the API returns them.
type Dataset struct {
	Installs    []Install
	Departments []Lookup
	Tags        []Lookup
	Automations []Lookup
}

// Dataset returns a copy of email's lookups, or false for an unknown user.
func (s *Server) Dataset(email string) (Dataset, bool) {
	u, ok := s.users[email]
	if !ok {
		return Dataset{}, false
	}
	d := u.data
	d.Installs = append([]Install(nil), d.Installs...)
	d.Departments = append([]Lookup(nil), d.Departments...)
	d.Tags = append([]Lookup(nil), d.Tags...)
	d.Automations = append([]Lookup(nil), d.Automations...)
	return d, true
}

// generate builds u's lookups: 2–3 installs, 3 departments, 5–8 tags and
// 3–5 automations. The same User always gets the same ones; Email is mixed
// into the seed so two users never share them even with equal seeds.
func generate(u User) Dataset {
	h := fnv.New64a()
	_, _ = h.Write([]byte(u.Email))
	r := rand.New(rand.NewPCG(uint64(u.Seed), h.Sum64()))
	areaCodes := []string{"786", "305", "954", "212", "415", "512", "617", "312", "702", "303"}
	sites := []string{"brightsmiledental", "summitroofing", "harborhvac", "lakesidelaw", "sunsetautorepair", "blueridgerealty", "primepest", "northsidechiro"}

	var d Dataset
	id := 1 + r.Int64N(90)
	usedNumbers := map[string]bool{}
	for _, site := range pick(r, sites, 2+r.IntN(2)) {
		number := fmt.Sprintf("+1%s555%04d", areaCodes[r.IntN(len(areaCodes))], r.IntN(10000))
		for usedNumbers[number] {
			number = fmt.Sprintf("+1%s555%04d", areaCodes[r.IntN(len(areaCodes))], r.IntN(10000))
		}
		usedNumbers[number] = true
		d.Installs = append(d.Installs, Install{ID: id, Number: number, Website: "http://www." + site + ".com"})
		id++
	}
	d.Departments = lookups(r, []string{"Sales", "Support", "Billing", "Service", "Front Desk", "Scheduling"}, 3)
	d.Tags = lookups(r, []string{"VIP", "Lead", "Customer", "Follow-up", "Spanish", "Hot Lead", "Cold Lead", "Referral", "Newsletter", "Appointment"}, 5+r.IntN(4))
	d.Automations = lookups(r, []string{"Keyword Automation", "Missed Call Text Back", "Appointment Reminder", "Review Request", "Welcome Sequence", "Reactivation Campaign"}, 3+r.IntN(3))
	return d
}

// lookups returns n lookups named from names, with consecutive ids from a
// random start; the label repeats the name, as in every docs example.
func lookups(r *rand.Rand, names []string, n int) []Lookup {
	id := 1 + r.Int64N(90)
	out := make([]Lookup, 0, n)
	for _, name := range pick(r, names, n) {
		out = append(out, Lookup{ID: id, Name: name, Label: name})
		id++
	}
	return out
}

// pick returns n distinct elements of from (n ≤ len(from)).
func pick(r *rand.Rand, from []string, n int) []string {
	perm := r.Perm(len(from))
	out := make([]string, min(n, len(from)))
	for i := range out {
		out[i] = from[perm[i]]
	}
	return out
}

// installByNumber finds the install whose number is number.
func (d *Dataset) installByNumber(number string) (Install, bool) {
	for _, in := range d.Installs {
		if in.Number == strings.TrimSpace(number) {
			return in, true
		}
	}
	return Install{}, false
}

// automationByID finds the automation whose id is id.
func (d *Dataset) automationByID(id int64) (Lookup, bool) {
	for _, a := range d.Automations {
		if a.ID == id {
			return a, true
		}
	}
	return Lookup{}, false
}
