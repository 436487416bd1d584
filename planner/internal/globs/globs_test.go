package globs

import (
	"errors"
	"slices"
	"testing"
)

func TestExpand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{"a", []string{"a"}, false},
		{"{a,b}.tf", []string{"a.tf", "b.tf"}, false},
		{"x{a,{b,c}}y", []string{"xay", "xby", "xcy"}, false},
		{"{a,b}{1,2}", []string{"a1", "a2", "b1", "b2"}, false},
		{`\{a,b\}`, []string{`\{a,b\}`}, false},
		{"[{]x", []string{"[{]x"}, false},
		{"{a,b", nil, true},
		{"a}", nil, true},
		{"{a,b}{c,d}{e,f}", nil, true}, // 8 > max 4
	}
	for _, tt := range tests {
		got, err := Expand(tt.in, 4)
		if tt.err {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("Expand(%q) err = %v, want ErrMalformed", tt.in, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("Expand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestMatchSegments(t *testing.T) {
	eq := func(p, s string) bool { return p == s }
	tests := []struct {
		pat, name []string
		want      bool
	}{
		{[]string{"a", "b"}, []string{"a", "b"}, true},
		{[]string{"**", "b"}, []string{"a", "x", "b"}, true},
		{[]string{"**"}, nil, true},
		{[]string{"a", "**"}, []string{"a"}, true},
		{[]string{"a", "**", "c"}, []string{"a", "b"}, false},
		{[]string{"a"}, []string{"a", "b"}, false},
	}
	for _, tt := range tests {
		if got := MatchSegments(tt.pat, tt.name, eq); got != tt.want {
			t.Errorf("MatchSegments(%q, %q) = %v, want %v", tt.pat, tt.name, got, tt.want)
		}
	}
}
