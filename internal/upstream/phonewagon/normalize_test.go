package phonewagon

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestFlexString(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{"a string is kept", `"s2212"`, "s2212", false},
		{"a number is kept as its literal text", `1001`, "1001", false},
		{"a negative number is kept", `-7`, "-7", false},
		{"null is empty", `null`, "", false},
		{"a bool is refused", `true`, "", true},
		{"an object is refused", `{}`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got flexString
			err := json.Unmarshal([]byte(tt.in), &got)
			if (err != nil) != tt.wantErr || string(got) != tt.want {
				t.Errorf("got %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestFlexInt(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    flexInt
		wantErr bool
	}{
		{"a number is read", `54`, flexInt{54, true}, false},
		{"a numeric string is read", `"1575322416000"`, flexInt{1575322416000, true}, false},
		{"a padded numeric string is read", `" 54 "`, flexInt{54, true}, false},
		{"a whole float is read", `54.0`, flexInt{54, true}, false},
		{"an exponent is read", `1.5e3`, flexInt{1500, true}, false},
		{"null is unset", `null`, flexInt{}, false},
		{"an empty string is unset", `""`, flexInt{}, false},
		{"a fraction is refused", `54.5`, flexInt{}, true},
		{"words are refused", `"soon"`, flexInt{}, true},
		{"a number beyond int64 is refused", `1e30`, flexInt{}, true},
		{"a bool is refused", `false`, flexInt{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got flexInt
			err := json.Unmarshal([]byte(tt.in), &got)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("got %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestFlexBool(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    flexBool
		wantErr bool
	}{
		{"true is true", `true`, flexBool{true, true}, false},
		{"false is false", `false`, flexBool{false, true}, false},
		{`"true" is true`, `"true"`, flexBool{true, true}, false},
		{`"FALSE" is false`, `"FALSE"`, flexBool{false, true}, false},
		{"1 is true", `1`, flexBool{true, true}, false},
		{"0 is false", `0`, flexBool{false, true}, false},
		{`"1" is true`, `"1"`, flexBool{true, true}, false},
		{"null is unset", `null`, flexBool{}, false},
		{"an empty string is unset", `""`, flexBool{}, false},
		{"2 is refused", `2`, flexBool{}, true},
		{"yes is refused", `"yes"`, flexBool{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got flexBool
			err := json.Unmarshal([]byte(tt.in), &got)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("got %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestFlexErrorsNameTheFieldButNotTheValue(t *testing.T) {
	var c call
	err := json.Unmarshal([]byte(`{"duration":"+19295559999x"}`), &c)
	if err == nil || !strings.Contains(err.Error(), "duration") || strings.Contains(err.Error(), "9295559999") {
		t.Errorf("got %v, want an error naming duration without the value", err)
	}
}

func TestPhoneNumber(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *string
	}{
		{"E.164 is kept", "+19295559999", ptr("+19295559999")},
		{"a national US number becomes E.164", "(650) 253-0000", ptr("+16502530000")},
		{"a formatted international number becomes E.164", "+44 20 7031 3000", ptr("+442070313000")},
		{"an invalid number is kept verbatim", "12345", ptr("12345")},
		{"text is kept verbatim", "anonymous", ptr("anonymous")},
		{"empty is nil", "", nil},
		{"blank is nil", "   ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := phoneNumber(flexString(tt.in))
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("phoneNumber(%q) = %v, want %v", tt.in, deref(got), deref(tt.want))
			}
		})
	}
}

func TestContactName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *string
	}{
		{"runs of spaces collapse to one", "Bronx        Ny", ptr("Bronx Ny")},
		{"tabs and newlines collapse and ends are trimmed", "\t Jane \n\n Doe ", ptr("Jane Doe")},
		{"a clean name is kept", "Jane Doe", ptr("Jane Doe")},
		{"blank is nil", " \t ", nil},
		{"empty is nil", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := contactName(flexString(tt.in))
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("contactName(%q) = %v, want %v", tt.in, deref(got), deref(tt.want))
			}
		})
	}
}

// TestEveryVendorFieldLandsInItsNormalizedPlace gives each vendor field a
// distinct value (the sample leaves most of them empty) and checks where it
// ends up in the normalized JSON.
func TestEveryVendorFieldLandsInItsNormalizedPlace(t *testing.T) {
	want := map[string]string{ // vendor field → normalized path
		"sid": "sid", "direction": "direction", "status": "status", "recording_url": "recording_url",
		"campaign_name": "campaign.name", "user_source": "attribution.user_source",
		"referral_value": "attribution.referrer", "landing_page": "attribution.landing_page",
		"keyword": "attribution.keyword", "match_type": "attribution.match_type",
		"network": "attribution.network", "device": "attribution.device", "ad_position": "attribution.ad_position",
		"gclid": "attribution.click_ids.gclid", "fbclid": "attribution.click_ids.fbclid",
		"msclkid":    "attribution.click_ids.msclkid",
		"utm_source": "attribution.utm.source", "utm_medium": "attribution.utm.medium",
		"utm_campaign": "attribution.utm.campaign", "utm_term": "attribution.utm.term",
		"utm_content":      "attribution.utm.content",
		"unbounce_page_id": "attribution.unbounce.page_id", "unbounce_variant_id": "attribution.unbounce.variant_id",
		"unbounce_visitor_id": "attribution.unbounce.visitor_id",
	}
	fields := map[string]any{}
	for vendor := range want {
		fields[vendor] = "value-of-" + vendor
	}
	body := patchSample(t, readSample(t), fields)
	page, _, err := sampleClient(t, body).Calls(context.Background(), sampleOptions)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(page.Calls[0])
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for vendor, path := range want {
		if got := lookup(doc, path); got != "value-of-"+vendor {
			t.Errorf("%s: got %v at %s, want %q", vendor, got, path, "value-of-"+vendor)
		}
	}
}

// lookup follows a dotted path through decoded JSON objects.
func lookup(doc map[string]any, path string) any {
	var cur any = doc
	for _, key := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[key]
	}
	return cur
}

func deref(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
