package mirror

import (
	"reflect"
	"testing"
)

func TestCompareKeysIsTheServingOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b Key
		want int
	}{
		{"a newer call is served first", Key{2000, "1"}, Key{1000, "9"}, -1},
		{"in one millisecond a greater numeric id is served first", Key{1000, "10"}, Key{1000, "9"}, -1},
		{"numeric ids compare as numbers across a digit count", Key{1000, "999"}, Key{1000, "1000"}, 1},
		{"a non-numeric id is served before every numeric one", Key{1000, "a"}, Key{1000, "99999"}, -1},
		{"non-numeric ids compare byte-wise", Key{1000, "b"}, Key{1000, "a"}, -1},
		{"a call without a start time and one before 1970 tie on time", Key{-5, "2"}, Key{0, "1"}, -1},
		{"equal keys", Key{1000, "7"}, Key{1000, "7"}, 0},
		{"an id with leading zeros is longer, so greater", Key{1000, "007"}, Key{1000, "8"}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CompareKeys(tc.a, tc.b); got != tc.want {
				t.Errorf("CompareKeys(%+v, %+v) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
			if got := CompareKeys(tc.b, tc.a); got != -tc.want {
				t.Errorf("CompareKeys(%+v, %+v) = %d, want %d", tc.b, tc.a, got, -tc.want)
			}
		})
	}
}

func TestIDOfMemberInvertsMember(t *testing.T) {
	for _, id := range []string{"1", "6315", "", "abc", "0", "x:1{}", string(make([]byte, 1200))} {
		if got := idOfMember(sortMember(Key{StartedAt: 1_764_000_000_000, ID: id})); got != id {
			t.Errorf("idOfMember(sortMember(%q)) = %q", id, got)
		}
	}
}

func TestStripNullsLeavesOutNullMembersOnly(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"a":null,"b":1}`, `{"b":1}`},
		{`{"a":1,"b":null}`, `{"a":1}`},
		{`{"a":null}`, `{}`},
		{`{"a":1,"b":null,"c":null,"d":{"e":null,"f":"null"}}`, `{"a":1,"d":{"f":"null"}}`},
		{`{"a":"x\":null,\"y","b":null}`, `{"a":"x\":null,\"y"}`},
		{`{"a":"\\","b":null,"c":[null,1]}`, `{"a":"\\","c":[null,1]}`},
		{`{"nullish":nullx}`, `{"nullish":nullx}`},
	} {
		if got := string(stripNulls([]byte(tc.in))); got != tc.want {
			t.Errorf("stripNulls(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestCanonicalRecordsDecodeToTheSameCall(t *testing.T) {
	calls := append(sandboxCalls(t, 3000), suiteHistory()...)
	hostile := suiteCall("1", histNow, "1001", `Spring "sale":null,"x":1 \ {}`)
	hostile.ContactName = suitePtr(`O"Brien":null`)
	for _, c := range append(calls, hostile) {
		b, err := canonicalRecord(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeRecord(b)
		if err != nil {
			t.Fatalf("decoding %s: %v", b, err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("call %s:\n got %+v\nwant %+v\nfrom %s", c.ID, got, c, b)
		}
	}
}
