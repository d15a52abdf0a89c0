package mirror

import "testing"

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
		if got := idOfMember(member(Key{StartedAt: 1_764_000_000_000, ID: id})); got != id {
			t.Errorf("idOfMember(member(%q)) = %q", id, got)
		}
	}
}
