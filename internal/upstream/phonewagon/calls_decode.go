package phonewagon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"switchboard/internal/domain"
)

// A /calls body is read in one pass over its bytes, with the streaming
// reader of github.com/go-json-experiment/json (jsontext), straight into the
// normalized calls: no intermediate map or per-field UnmarshalJSON, and one
// string per record backs all of that record's strings (see callValues).
//
// It accepts and refuses exactly what decoding with encoding/json into the
// tolerant types of flex.go did (the differential tests hold it to that):
//   - the body is one JSON value, an object, with nothing after it but
//     whitespace; invalid UTF-8 inside strings is read as U+FFFD;
//   - top-level keys match exactly ("calls", "next"); a repeated key counts
//     only its last value, which alone must have the right type;
//   - a call's keys match its field names exactly or, failing that, under
//     Unicode case folding; a repeated field takes its last value, but every
//     value given must have a type the field accepts;
//   - unknown fields are ignored, null is the same as absent.

// callField numbers the fields of a vendor call record that are read.
type callField uint8

const (
	fAccountID callField = iota
	fAdPosition
	fCampaignName
	fCompanyID
	fContactName
	fDevice
	fDirection
	fDuration
	fFBCLID
	fFromNumber
	fGCLID
	fID
	fIsFirstTimeCaller
	fKeyword
	fLandingPage
	fMatchType
	fMSCLKID
	fNetwork
	fRecordingURL
	fReferralValue
	fSID
	fStartTime
	fStatus
	fToNumber
	fUnbouncePageID
	fUnbounceVariantID
	fUnbounceVisitorID
	fUserSource
	fUTMCampaign
	fUTMContent
	fUTMMedium
	fUTMSource
	fUTMTerm
	numCallFields
	noField = numCallFields
)

// callFieldNames are the vendor's names of the fields, by callField.
var callFieldNames = [numCallFields]string{
	"account_id", "ad_position", "campaign_name", "company_id", "contact_name", "device", "direction",
	"duration", "fbclid", "from_number", "gclid", "id", "is_first_time_caller", "keyword", "landing_page",
	"match_type", "msclkid", "network", "recording_url", "referral_value", "sid", "start_time", "status",
	"to_number", "unbounce_page_id", "unbounce_variant_id", "unbounce_visitor_id", "user_source",
	"utm_campaign", "utm_content", "utm_medium", "utm_source", "utm_term",
}

// callFieldByName maps each name to its field.
var callFieldByName = func() map[string]callField {
	m := make(map[string]callField, numCallFields)
	for f, name := range callFieldNames {
		m[name] = callField(f)
	}
	return m
}()

// lookupCallField returns the field a key names: by its exact name or else,
// as encoding/json matches struct fields, by a name equal under Unicode
// case folding ("ID", "Start_Time", even "ſid" with a long s).
func lookupCallField(key []byte) callField {
	if f, ok := callFieldByName[string(key)]; ok {
		return f
	}
	for f, name := range callFieldNames {
		if bytes.EqualFold(key, []byte(name)) {
			return callField(f)
		}
	}
	return noField
}

// span is where a string field's text sits in the record's buffer.
type span struct{ start, end int32 }

// callScan is the state of reading one record, reused from one record to
// the next.
type callScan struct {
	buf   []byte // the record's strings, unquoted, one after the other
	tmp   []byte // scratch for a key or a numeric or boolean string
	spans [numCallFields]span

	duration, startTime flexInt
	firstTime           flexBool
}

func (s *callScan) reset() {
	s.buf = s.buf[:0]
	s.spans = [numCallFields]span{}
	s.duration, s.startTime, s.firstTime = flexInt{}, flexInt{}, flexBool{}
}

// readCallsPage reads a /calls body: the normalized calls and the next link
// as given ("" when absent or null), not yet checked.
func readCallsPage(body []byte) (listed []listedCall, next string, err error) {
	// Reading from a bytes.Buffer, the decoder parses body in place rather
	// than copy it.
	dec := jsontext.NewDecoder(bytes.NewBuffer(body),
		jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if dec.PeekKind() != '{' {
		if _, err := dec.ReadValue(); err != nil {
			return nil, "", badAnswer(fmt.Errorf("decode body: %w", err))
		}
		return nil, "", badAnswer(errors.New("decode body: not an object"))
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, "", badAnswer(fmt.Errorf("decode body: %w", err))
	}
	var (
		s                 callScan
		haveCalls         bool
		callsErr, nextErr error
		name              []byte
	)
	for dec.PeekKind() != '}' {
		raw, err := dec.ReadValue()
		if err != nil {
			return nil, "", badAnswer(fmt.Errorf("decode body: %w", err))
		}
		name = unquote(name[:0], raw)
		switch string(name) {
		case "calls":
			haveCalls = true
			listed, callsErr, err = s.readCalls(dec, listed[:0])
		case "next":
			next, nextErr, err = readNext(dec)
		default:
			err = dec.SkipValue()
		}
		if err != nil {
			return nil, "", badAnswer(fmt.Errorf("decode body: %w", err))
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, "", badAnswer(fmt.Errorf("decode body: %w", err))
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, "", badAnswer(errors.New("decode body: data after the top-level value"))
	}
	switch {
	case !haveCalls:
		return nil, "", badAnswer(errors.New(`decode body: top-level key "calls" missing`))
	case callsErr != nil:
		return nil, "", callsErr
	case nextErr != nil:
		return nil, "", nextErr
	}
	if listed == nil {
		listed = []listedCall{}
	}
	return listed, next, nil
}

// readCalls reads the value of "calls": a list of records (null is an
// empty one). A syntax error is returned as err and ends the reading; a
// record that does not read as a call is returned as bad, after the whole
// list has been read.
func (s *callScan) readCalls(dec *jsontext.Decoder, listed []listedCall) (_ []listedCall, bad, err error) {
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadValue()
		return listed, nil, err
	case '[':
	default:
		if err := dec.SkipValue(); err != nil {
			return nil, nil, err
		}
		return nil, badAnswer(errors.New("decode calls: not a list")), nil
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, nil, err
	}
	for i := 0; dec.PeekKind() != ']'; i++ {
		l, recErr, err := s.readCall(dec)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case bad != nil:
		case recErr != nil:
			bad = badAnswer(fmt.Errorf("decode calls[%d]: %w", i, recErr))
		case l.call.ID == "":
			bad = missingID("calls", i)
		default:
			listed = append(listed, l)
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, nil, err
	}
	return listed, bad, nil
}

// readCall reads one record of the list and normalizes it. A value of the
// wrong type is returned as bad; err is a syntax error.
func (s *callScan) readCall(dec *jsontext.Decoder) (l listedCall, bad, err error) {
	s.reset()
	switch dec.PeekKind() {
	case 'n': // a record of nothing, so without an id
		_, err := dec.ReadValue()
		return listedCall{}, nil, err
	case '{':
	default:
		raw, err := dec.ReadValue()
		if err != nil {
			return listedCall{}, nil, err
		}
		return listedCall{}, typeError(raw, reflect.TypeFor[domain.Call]()), nil
	}
	if _, err := dec.ReadToken(); err != nil {
		return listedCall{}, nil, err
	}
	for dec.PeekKind() != '}' {
		raw, err := dec.ReadValue()
		if err != nil {
			return listedCall{}, nil, err
		}
		s.tmp = unquote(s.tmp[:0], raw)
		f := lookupCallField(s.tmp)
		if f == noField {
			if err := dec.SkipValue(); err != nil {
				return listedCall{}, nil, err
			}
			continue
		}
		val, err := dec.ReadValue()
		if err != nil {
			return listedCall{}, nil, err
		}
		if e := s.set(f, val); e != nil && bad == nil {
			bad = e
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return listedCall{}, nil, err
	}
	if bad != nil {
		return listedCall{}, bad, nil
	}
	l, bad = s.normalize(string(s.buf))
	return l, bad, nil
}

// set reads val, a field's value, as flex.go's types read it. The error
// names the field, never the value (it may be a phone number).
func (s *callScan) set(f callField, val jsontext.Value) error {
	var err error
	switch f {
	case fDuration:
		err = s.readInt(&s.duration, val)
	case fStartTime:
		err = s.readInt(&s.startTime, val)
	case fIsFirstTimeCaller:
		err = s.readBool(&s.firstTime, val)
	default:
		err = s.readString(f, val)
	}
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		te.Struct, te.Field = "call", callFieldNames[f]
	}
	return err
}

// readString reads a flexString: a string, a number as its literal text,
// or null (empty).
func (s *callScan) readString(f callField, val jsontext.Value) error {
	start := len(s.buf)
	switch val.Kind() {
	case 'n':
	case '"':
		if f == fContactName {
			s.tmp = unquote(s.tmp[:0], val)
			s.buf = appendCollapsed(s.buf, s.tmp)
		} else {
			s.buf = unquote(s.buf, val)
		}
	case '0':
		s.buf = append(s.buf, val...)
	default:
		return typeError(val, reflect.TypeFor[string]())
	}
	s.spans[f] = span{int32(start), int32(len(s.buf))}
	return nil
}

// scalarText is the text of a scalar value as the flex types read it: a
// string's contents unquoted and trimmed (in s.tmp), nothing for null, any
// other value as is. Empty text is unset.
func (s *callScan) scalarText(val jsontext.Value) []byte {
	switch val.Kind() {
	case 'n':
		return nil
	case '"':
		s.tmp = unquote(s.tmp[:0], val)
		return bytes.TrimSpace(s.tmp)
	}
	return []byte(val)
}

// readInt reads a flexInt: a whole number, as a number or a numeric string
// (blank or null is unset).
func (s *callScan) readInt(n *flexInt, val jsontext.Value) error {
	*n = flexInt{}
	text := s.scalarText(val)
	if len(text) == 0 {
		return nil
	}
	v, ok := parseWholeNumber(string(text))
	if !ok {
		return typeError(val, reflect.TypeFor[int64]())
	}
	*n = flexInt{value: v, set: true}
	return nil
}

// readBool reads a flexBool: true/false, "true"/"false" in any case, 0/1,
// "0"/"1" (blank or null is unset).
func (s *callScan) readBool(v *flexBool, val jsontext.Value) error {
	*v = flexBool{}
	text := s.scalarText(val)
	// flex.go lowers the text with strings.ToLower; no letter outside ASCII
	// lowers to one of "true" or "false", so lowering ASCII alone is the same.
	switch {
	case len(text) == 0:
	case string(text) == "1" || equalLowerASCII(text, "true"):
		*v = flexBool{value: true, set: true}
	case string(text) == "0" || equalLowerASCII(text, "false"):
		*v = flexBool{value: false, set: true}
	default:
		return typeError(val, reflect.TypeFor[bool]())
	}
	return nil
}

// equalLowerASCII reports whether b, with its ASCII letters lowered, is
// lower (itself lower-case ASCII).
func equalLowerASCII(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// readNext reads the value of "next": a string, or null (""). A value of
// another type is returned as bad; err is a syntax error.
func readNext(dec *jsontext.Decoder) (next string, bad, err error) {
	switch dec.PeekKind() {
	case 'n':
		_, err := dec.ReadValue()
		return "", nil, err
	case '"':
		raw, err := dec.ReadValue()
		if err != nil {
			return "", nil, err
		}
		return string(unquote(nil, raw)), nil, nil
	}
	raw, err := dec.ReadValue()
	if err != nil {
		return "", nil, err
	}
	return "", badAnswer(fmt.Errorf("decode next: %w", typeError(raw, reflect.TypeFor[string]()))), nil
}

// unquote appends the text of raw, a JSON string the decoder has already
// validated, to dst. Invalid UTF-8 becomes U+FFFD, as in encoding/json.
func unquote(dst []byte, raw jsontext.Value) []byte {
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return append(dst, inner...)
	}
	// The only error left to report is invalid UTF-8, which is replaced.
	dst, _ = jsontext.AppendUnquote(dst, raw)
	return dst
}
