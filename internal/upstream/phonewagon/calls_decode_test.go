package phonewagon

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"switchboard/internal/domain"
)

// The decoder of calls_decode.go must accept and refuse exactly what the
// reference decoder (calls_reference_test.go: encoding/json and flex.go)
// did, and produce the same calls from what both accept.

// hostileBodies are /calls bodies at the edges of the tolerant decoding.
var hostileBodies = []string{
	// The envelope.
	``, ` `, `null`, `[]`, `"calls"`, `5`, `true`, "\xef\xbb\xbf" + `{"calls":[]}`,
	`{}`, `{"calls":[]}`, ` {"calls":[]} `, "\t\n\r{\"calls\":[]}\n", `{"calls":null}`,
	`{"Calls":[]}`, `{"CALLS":[{"id":1}]}`, `{"\u0063alls":[{"id":1}]}`, `{"calls ":[]}`,
	`{"calls":5}`, `{"calls":"x"}`, `{"calls":{"id":1}}`, `{"calls":true}`,
	`{"calls":5,"calls":[{"id":1}]}`, `{"calls":[{"id":1}],"calls":5}`, `{"calls":[{"id":1}],"calls":null}`,
	`{"calls":[{"duration":"x"}],"calls":[{"id":2}]}`, `{"calls":[{"id":1}],"calls":[{"duration":"x"}]}`,
	`{"calls":[]} {}`, `{"calls":[]}{}`, `{"calls":[]} x`, `{"calls":[]}]`, `{"calls":[]`, `{"calls":[}`,
	`{"calls":[],}`, `{"calls":[{"id":1},]}`, `{"calls":[{"id":1,}]}`, `{"calls" [] }`, `{calls:[]}`,
	`{"calls":[{"gclid": "" "id": 6315, "utm_term": "",}]}`,
	`{"calls":[],"next":null}`, `{"calls":[],"next":""}`, `{"calls":[],"next":"http://x/calls"}`,
	`{"calls":[],"next":5}`, `{"calls":[],"next":{}}`, `{"calls":[],"next":false}`,
	`{"calls":[],"next":5,"next":null}`, `{"calls":[],"next":null,"next":5}`, `{"calls":[],"next":"a","next":"b"}`,
	`{"calls":[],"Next":5}`, `{"calls":[],"next":"\u0068ttp:\/\/x\ud800"}`, `{"next":"x"}`,
	`{"x":[1,2,{"a":null,"b":[true,false,-0.5e-7]}],"calls":[{"id":1}],"y":"\ud83d\ude00"}`,
	`{"calls":[],"x":"` + "\x01" + `"}`, `{"calls":[],"x":"` + "\xff\xfe" + `"}`, `{"calls":[],"` + "\xff" + `":1}`,
	`{"calls":[],"x":01}`, `{"calls":[],"x":1.}`, `{"calls":[],"x":.5}`, `{"calls":[],"x":+1}`, `{"calls":[],"x":-}`,
	`{"calls":[],"x":1e}`, `{"calls":[],"x":nul}`, `{"calls":[],"x":"\x"}`, `{"calls":[],"x":"\u12"}`,
	`{"calls":[],"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
	`{"calls":[],"x":` + strings.Repeat("[", 9990) + strings.Repeat("]", 9990) + `}`,
	`{"calls":[{"id":1,"x":` + strings.Repeat(`{"a":`, 10001) + `1` + strings.Repeat("}", 10001) + `}]}`,

	// The records.
	`{"calls":[null]}`, `{"calls":[5]}`, `{"calls":["x"]}`, `{"calls":[[]]}`, `{"calls":[true]}`, `{"calls":[{}]}`,
	`{"calls":[{"id":1},null]}`, `{"calls":[{"id":1},5]}`, `{"calls":[{"id":""}]}`, `{"calls":[{"id":null}]}`,
	`{"calls":[{"id":1,"id":null}]}`, `{"calls":[{"id":null,"id":2}]}`, `{"calls":[{"id":true,"id":2}]}`,
	`{"calls":[{"id":1,"duration":"x","duration":5}]}`, `{"calls":[{"id":1,"duration":5,"duration":null}]}`,
	`{"calls":[{"id":1,"duration":5,"Duration":"7"}]}`, `{"calls":[{"ID":1}]}`, `{"calls":[{"Id":"a","iD":"b"}]}`,
	`{"calls":[{"\u0069d":1}]}`, `{"calls":[{"id ":1}]}`, `{"calls":[{"İd":1}]}`, `{"calls":[{"ıd":1}]}`,
	`{"calls":[{"id":1,"ſid":"x","ſtatus":"y","\u212aeyword":"k","msclkid":"m","MSCLKID":"n"}]}`,
	`{"calls":[{"id":1,"START_TIME":1575322416000,"Is_First_Time_Caller":"TRUE"}]}`,
	`{"calls":[{"id":1,"start_time":1575322416000},{"id":2,"start_time":1575322416000},{"id":3}]}`,
	`{"calls":[{"id":1,"start_time":9999999999999999}]}`, `{"calls":[{"id":1,"start_time":253402300799999}]}`,
	`{"calls":[{"id":1,"start_time":253402300800000}]}`, `{"calls":[{"id":1,"start_time":-62135596800000}]}`,
	`{"calls":[{"id":1,"start_time":-62135596800001}]}`, `{"calls":[{"id":1,"start_time":-1}]}`,
	`{"calls":[{"id":"\ud800"}]}`, `{"calls":[{"id":"\udc00\ud800\u0041"}]}`, `{"calls":[{"id":"` + "a\xffb\xc0\xaf" + `"}]}`,
	`{"calls":[{"id":"` + "\xed\xa0\x80" + `"}]}`, `{"calls":[{"id":"\u0000"}]}`, `{"calls":[{"id":"a\"b\\c\/d\b\f\n\r\t"}]}`,
	`{"calls":[{"id":-0}]}`, `{"calls":[{"id":1e3}]}`, `{"calls":[{"id":1.50}]}`, `{"calls":[{"id": 1001 }]}`,
	`{"calls":[{"id":1,"contact_name":"  Bronx        Ny\t"}]}`, `{"calls":[{"id":1,"contact_name":"\u0085a\u00a0b\u2003c\u3000"}]}`,
	`{"calls":[{"id":1,"contact_name":" \t\n "}]}`, `{"calls":[{"id":1,"contact_name":12}]}`, `{"calls":[{"id":1,"contact_name":"` + "a\xff b" + `"}]}`,
	`{"calls":[{"id":1,"from_number":"(650) 253-0000","to_number":"+44 20 7031 3000"}]}`,
	`{"calls":[{"id":1,"from_number":"  ","to_number":"anonymous"}]}`, `{"calls":[{"id":1,"from_number":16502530000}]}`,
	`{"calls":[{"id":1,"from_number":"+19295559999","to_number":"+0123"}]}`, `{"calls":[{"id":1,"from_number":"12345"}]}`,
	`{"calls":[{"id":1,"duration":"+19295559999x"}]}`,
}

// The values each kind of field is given by the random pages.
var (
	hostileStrings = []string{
		`"x"`, `""`, `null`, `1001`, `-7`, `1.5e3`, `-0`, `0.000`, `true`, `false`, `{}`, `[]`, `[1]`, `{"a":"b"}`,
		`"\u00e9\ud800x"`, `"a\"b"`, `"\ud83d\ude00"`, "\"bad\xffutf8\"", `"  spaced   out  "`, `"\t\n"`,
		`"\u0085x\u00a0y"`, `"(650) 253-0000"`, `"+19295559999"`, `"+44 20 7031 3000"`, `"s2212"`, `" 6315 "`,
	}
	hostileInts = []string{
		`54`, `"54"`, `" 54 "`, `54.0`, `1.5e3`, `"1.5e3"`, `54.5`, `"soon"`, `1e30`, `false`, `true`, `null`, `""`,
		`"  "`, `-1`, `"\u0035\u0034"`, `9999999999999999`, `253402300799999`, `-62135596800001`, `"0x10"`,
		`"0x1p3"`, `"+5"`, `"\u00a054"`, `[]`, `{}`, `1E2`, `-0`, `"-0"`, `9223372036854775807`,
		`9223372036854775808`, `-9223372036854775808`, `"1_000"`, `"NaN"`, `"inf"`, `"1575322416000"`,
		`1575322416000`, `1.575322416e12`, `"\t1575322416000\n"`,
	}
	hostileBools = []string{
		`true`, `false`, `"TRUE"`, `"False"`, `" true "`, `1`, `0`, `"1"`, `"0"`, `2`, `"yes"`, `null`, `""`,
		`1.0`, `-0`, `"falſe"`, `"\u0074rue"`, `"TRUE\u00a0"`, `{}`, `"tRuE"`, `" "`, `"01"`,
	}
	hostileUnknown = []string{`1`, `"x"`, `null`, `[{"id":1}]`, `{"id":{"id":[]}}`, "\"\xff\"", `-1.5E+300`}
)

// keyVariant spells a field name as a record might: exactly, in another
// case, with an escape, with a letter that only Unicode folding matches,
// or not quite right.
func keyVariant(r *rand.Rand, name string) string {
	switch r.IntN(8) {
	case 0:
		return strings.ToUpper(name)
	case 1:
		return strings.ToUpper(name[:1]) + name[1:]
	case 2:
		return fmt.Sprintf(`\u%04x`, name[0]) + name[1:]
	case 3:
		return strings.Replace(strings.Replace(name, "s", "ſ", 1), "k", "\u212a", 1)
	case 4:
		return name + " "
	default:
		return name
	}
}

// randomPage builds a /calls body of up to four records from the hostile
// values, with unknown, repeated and oddly spelled keys.
func randomPage(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString(`{"calls":[`)
	for i := range r.IntN(5) {
		if i > 0 {
			b.WriteString(",")
		}
		if r.IntN(30) == 0 {
			b.WriteString([]string{`null`, `5`, `[]`}[r.IntN(3)])
			continue
		}
		b.WriteString("{")
		fmt.Fprintf(&b, `"id":%s`, []string{`1`, `"a"`, `2`, `"6315"`}[r.IntN(4)])
		for range r.IntN(12) {
			f := callField(r.IntN(int(numCallFields) + 2))
			var name, value string
			switch {
			case f >= numCallFields:
				name, value = "extra", hostileUnknown[r.IntN(len(hostileUnknown))]
			case f == fDuration || f == fStartTime:
				name, value = callFieldNames[f], hostileInts[r.IntN(len(hostileInts))]
			case f == fIsFirstTimeCaller:
				name, value = callFieldNames[f], hostileBools[r.IntN(len(hostileBools))]
			default:
				name, value = callFieldNames[f], hostileStrings[r.IntN(len(hostileStrings))]
			}
			fmt.Fprintf(&b, `,"%s":%s`, keyVariant(r, name), value)
		}
		b.WriteString("}")
	}
	b.WriteString("]")
	switch r.IntN(4) {
	case 0:
		b.WriteString(`,"next":null`)
	case 1:
		b.WriteString(`,"next":"https://dev.phonewagon.com/calls?page_size=1"`)
	case 2:
		b.WriteString(`,"next":` + hostileStrings[r.IntN(len(hostileStrings))])
	}
	b.WriteString("}")
	return b.String()
}

// sameAsReference fails t when the decoder and the reference decoder
// disagree on body.
func sameAsReference(t *testing.T, body []byte) {
	t.Helper()
	got, gotNext, gotErr := readCallsPage(body)
	want, wantNext, wantErr := referenceCalls(body)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("body %q:\ngot error %v\nreference error %v", body, gotErr, wantErr)
	}
	if gotErr != nil {
		if code := domain.ErrorCode(gotErr); code != domain.CodeUpstreamError {
			t.Fatalf("body %q: got code %s (%v), want %s", body, code, gotErr, domain.CodeUpstreamError)
		}
		return
	}
	if len(got) != len(want) || (len(got) > 0 && !reflect.DeepEqual(got, want)) || gotNext != wantNext {
		t.Fatalf("body %q:\ngot  %+v next %q\nwant %+v next %q", body, got, gotNext, want, wantNext)
	}
}

func TestCallsDecoderMatchesTheReferenceOnHostileBodies(t *testing.T) {
	for _, body := range hostileBodies {
		sameAsReference(t, []byte(body))
	}
}

func TestCallsDecoderMatchesTheReferenceOnHostileFields(t *testing.T) {
	// Every value of each kind, in each field of that kind.
	for f := range numCallFields {
		values := hostileStrings
		switch f {
		case fDuration, fStartTime:
			values = hostileInts
		case fIsFirstTimeCaller:
			values = hostileBools
		}
		for _, v := range values {
			sameAsReference(t, fmt.Appendf(nil, `{"calls":[{"id":7,"%s":%s}]}`, callFieldNames[f], v))
		}
	}
}

func TestCallsDecoderMatchesTheReferenceOnRandomPages(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		sameAsReference(t, []byte(randomPage(r)))
	}
}

func TestCallsDecoderMatchesTheReferenceOnTheSample(t *testing.T) {
	sameAsReference(t, readSample(t))
}

func FuzzCallsDecoderMatchesTheReference(f *testing.F) {
	for _, body := range hostileBodies {
		f.Add([]byte(body))
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		f.Add([]byte(randomPage(r)))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sameAsReference(t, body)
	})
}

func TestCallsDecoderErrorsNameTheFieldButNotTheValue(t *testing.T) {
	tests := []struct{ field, body string }{
		{"duration", `{"calls":[{"id":1,"duration":"+19295559999x"}]}`},
		{"is_first_time_caller", `{"calls":[{"id":1,"is_first_time_caller":"+19295559999"}]}`},
		{"from_number", `{"calls":[{"id":1,"from_number":{"n":"+19295559999"}}]}`},
	}
	for _, tt := range tests {
		_, _, err := readCallsPage([]byte(tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.field) || strings.Contains(err.Error(), "9295559999") {
			t.Errorf("body %s: got %v, want an error naming %s without the value", tt.body, err, tt.field)
		}
	}
}

func TestAppendCollapsedIsFieldsJoined(t *testing.T) {
	for _, s := range []string{
		"", " ", "Bronx        Ny", "\t Jane \n\n Doe ", "Jane Doe", "\u0085a\u00a0b\u2003c\u3000", "a\u200bb",
		"\xffa  b\xc0", "  x", "x  ", "\v\f\r",
	} {
		got := string(appendCollapsed([]byte("keep"), []byte(s)))
		if want := "keep" + strings.Join(strings.Fields(s), " "); got != want {
			t.Errorf("appendCollapsed(%q) = %q, want %q", s, got, want)
		}
	}
}
