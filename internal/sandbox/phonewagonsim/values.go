package phonewagonsim

// vocab holds the words the generator draws from. It is built fresh for each
// generation so the package holds no mutable state.
type vocab struct {
	companies, campaigns    []string
	areaCodes, tollFree     []string
	cities                  []place
	people, keywords        []string
	statuses                []string
	devices, matchTypes, nw []string
}

// place is a caller-id location, rendered CNAM-style with ragged padding.
type place struct{ city, state string }

func newVocab() vocab {
	return vocab{
		companies: []string{
			"Phonewagon", "Jake's rake company", "Bright Smile Dental", "Summit Roofing",
			"Harbor HVAC", "Greenline Landscaping", "Metro Plumbing Pros", "Lakeside Law Group",
			"Sunset Auto Repair", "Blue Ridge Realty", "Prime Pest Control", "Northside Chiropractic",
		},
		campaigns: []string{
			"Facebook", "Google Ads", "Bing Ads", "Yelp", "Direct Mail", "Billboard",
			"Radio", "Organic Search", "Website", "Google My Business",
		},
		areaCodes: []string{"212", "305", "310", "312", "415", "512", "617", "646", "713", "718", "786", "917", "929", "954", "206", "303", "404", "702"},
		tollFree:  []string{"844", "855", "866", "877", "888"},
		cities: []place{
			{"Bronx", "Ny"}, {"Brooklyn", "Ny"}, {"Miami", "Fl"}, {"Houston", "Tx"},
			{"Los Angeles", "Ca"}, {"Chicago", "Il"}, {"Austin", "Tx"}, {"Seattle", "Wa"},
			{"Denver", "Co"}, {"Atlanta", "Ga"}, {"Boston", "Ma"}, {"Las Vegas", "Nv"},
		},
		people: []string{
			"SMITH JOHN", "GARCIA MARIA", "JOHNSON R", "Nguyen Linh", "WILLIAMS K",
			"Brown  David", "O'NEIL PATRICK", "Lopez Ana", "MILLER S", "Davis Tanya",
		},
		keywords: []string{"emergency plumber", "dentist near me", "roof repair", "ac repair", "personal injury lawyer", "pest control", "auto repair shop", "realtor"},
		// Weighted: most calls complete.
		statuses:   []string{"completed", "completed", "completed", "completed", "completed", "completed", "completed", "no-answer", "no-answer", "busy", "failed", "canceled"},
		devices:    []string{"m", "c", "t"},
		matchTypes: []string{"e", "p", "b"},
		nw:         []string{"g", "s"},
	}
}

// Attribution channels a call can come through.
const (
	channelGoogleAds = iota
	channelGoogleOrganic
	channelYahooOrganic
	channelBingAds
	channelFacebook
	channelUnbounce
	channelReferral
	channelDirect
	channelCount
)
