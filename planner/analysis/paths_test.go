package analysis

import (
	"reflect"
	"testing"
)

func TestPathString(t *testing.T) {
	tests := []struct {
		path Path
		want string
	}{
		{Path{"size"}, "size"},
		{Path{"tags", "env"}, "tags.env"},
		{Path{"tags", "cost-center"}, `tags["cost-center"]`},
		{Path{"tags", "a b"}, `tags["a b"]`},
		{Path{"ingress", 0, "from_port"}, "ingress[0].from_port"},
		{Path{"0day"}, `["0day"]`},
		{Path{}, ""},
	}
	for _, tt := range tests {
		if got := tt.path.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestChangedPaths(t *testing.T) {
	obj := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	none := func(Path) bool { return false }
	tests := []struct {
		name          string
		before, after any
		unknown       any
		sensitive     func(Path) bool
		want          []string
	}{
		{"equal", obj("a", "x"), obj("a", "x"), nil, none, nil},
		{"scalar", obj("a", "x", "b", "y"), obj("a", "x", "b", "z"), nil, none, []string{"b"}},
		{"added key", obj("a", "x"), obj("a", "x", "b", "y"), nil, none, []string{"b"}},
		{"removed key", obj("a", "x", "b", "y"), obj("a", "x"), nil, none, []string{"b"}},
		{"nested", obj("t", obj("k", "1")), obj("t", obj("k", "2")), nil, none, []string{"t.k"}},
		{"list same length", obj("l", []any{"a", "b"}), obj("l", []any{"a", "c"}), nil, none, []string{"l[1]"}},
		{"list length changed", obj("l", []any{"a"}), obj("l", []any{"a", "b"}), nil, none, []string{"l"}},
		{"type changed", obj("a", "x"), obj("a", []any{"x"}), nil, none, []string{"a"}},
		{"create", nil, obj("a", "x", "n", nil), obj("id", true), none, []string{"a", "id"}},
		{"unknown nested", obj("t", obj("k", "1")), obj("t", obj("k", nil)), obj("t", obj("k", true)), none, []string{"t.k"}},
		{"sensitive object not descended", obj("s", obj("inner-secret-key", "1")), obj("s", obj("other", "1")), nil,
			func(p Path) bool { return len(p) > 0 && p[0] == "s" }, []string{"s"}},
		{"sensitive equal", obj("s", "v"), obj("s", "v"), nil, func(Path) bool { return true }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range changedPaths(tt.before, tt.after, tt.unknown, tt.sensitive) {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRedactValue(t *testing.T) {
	tests := []struct {
		name    string
		v, mask any
		want    any
	}{
		{"whole", "pw", true, Marker},
		{"null stays null", nil, true, nil},
		{"nested", map[string]any{"a": "x", "b": "y"}, map[string]any{"b": true}, map[string]any{"a": "x", "b": Marker}},
		{"list", []any{"x", "y"}, []any{false, true}, []any{"x", Marker}},
		{"no mask", map[string]any{"a": "x"}, nil, map[string]any{"a": "x"}},
		{"mask shape mismatch", "x", map[string]any{"a": true}, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redactValue(tt.v, tt.mask, NewSecrets()); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestScrub(t *testing.T) {
	s := NewSecrets()
	s.Add("ab")                  // too short to track
	s.Add("abc")                 // exact matches only
	s.Add("longsecret")          // exact and substring
	s.Add("longsecret-extended") // longest first
	tests := []struct{ in, want string }{
		{"ab", "ab"},
		{"abc", Marker},
		{"xabcx", "xabcx"},
		{"pw=longsecret;", "pw=" + Marker + ";"},
		{"pw=longsecret-extended", "pw=" + Marker},
	}
	for _, tt := range tests {
		if got := s.ScrubString(tt.in); got != tt.want {
			t.Errorf("ScrubString(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
