package handlers

import (
	"strings"

	"github.com/munnerz/goautoneg"
)

// Export media types.
const (
	mediaNDJSON = "application/x-ndjson"
	mediaCSV    = "text/csv"
)

// exportMedia are the export's media types, the default (SPEC §3) first:
// it wins ties.
var exportMedia = [...]string{mediaNDJSON, mediaCSV}

// negotiateExport picks the export's media type from an Accept header by
// RFC 9110 §12.5.1: each type takes the quality of the most specific range
// that matches it (type/subtype over type/* over */*), a quality of 0 means
// "not this one", and the highest quality wins, NDJSON on a tie. The header
// is parsed by goautoneg; its own Negotiate is not used because it picks a
// type whose range says q=0.
//
// A missing Accept, or one that allows neither type, gets NDJSON, the
// documented default, rather than 406: SPEC §4 has no slug for "not
// acceptable", and a client that sent an odd Accept still gets the export.
func negotiateExport(accept string) string {
	if strings.TrimSpace(accept) == "" {
		return mediaNDJSON
	}
	ranges := goautoneg.ParseAccept(strings.ToLower(accept))
	best, bestQ := mediaNDJSON, 0.0
	for _, media := range exportMedia {
		if q := quality(ranges, media); q > bestQ {
			best, bestQ = media, q
		}
	}
	return best
}

// quality is the q of the most specific range in ranges matching media, 0
// when none does.
func quality(ranges []goautoneg.Accept, media string) float64 {
	typ, sub, _ := strings.Cut(media, "/")
	q, specificity := 0.0, -1
	for _, r := range ranges {
		s := -1
		switch {
		case r.Type == typ && r.SubType == sub:
			s = 2
		case r.Type == typ && r.SubType == "*":
			s = 1
		case r.Type == "*" && r.SubType == "*":
			s = 0
		}
		if s > specificity {
			q, specificity = r.Q, s
		}
	}
	return q
}
