package braces

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
