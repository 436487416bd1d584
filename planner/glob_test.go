package planner

import (
	"errors"
	"strings"
	"testing"
)

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern string
		name    string
		want    bool
	}{
		{"scripts/**/*.sh", "scripts/a.sh", true},
		{"scripts/**/*.sh", "scripts/x/y/a.sh", true},
		{"scripts/**/*.sh", "scripts/x/a.py", false},
		{"scripts/**/*.sh", "other/scripts/a.sh", false},
		{"**/*.sh", "a.sh", true},
		{"**/*.sh", "a/b/c.sh", true},
		{"**", "anything/at/all", true},
		{"a/**", "a", true},
		{"a/**", "a/b/c", true},
		{"a/**/b", "a/b", true},
		{"a/**/b", "a/x/y/b", true},
		{"a/**/b", "a/x/y/c", false},
		{"a/**/b/**/c", "a/1/b/2/3/c", true},
		{"a/**/b/**/c", "a/1/c", false},
		{"*.tf", "main.tf", true},
		{"*.tf", "dir/main.tf", false},
		{"a*b/c", "axxb/c", true},
		{"a**b", "axxb", true},
		{"a**b", "ax/xb", false},
		{"file?.txt", "file1.txt", true},
		{"file?.txt", "file10.txt", false},
		{"[a-c]/x", "b/x", true},
		{"[a-c]/x", "d/x", false},
		{"[!a-c]/x", "d/x", true},
		{"{envs,live}/**/*.tfvars", "live/prod/x.tfvars", true},
		{"{envs,live}/**/*.tfvars", "envs/x.tfvars", true},
		{"{envs,live}/**/*.tfvars", "other/x.tfvars", false},
		{"a/{b,c{d,e}}/f", "a/ce/f", true},
		{"a/{b,c{d,e}}/f", "a/c/f", false},
		{"a/{,x/}f", "a/f", true},
		{"a/{,x/}f", "a/x/f", true},
		{`a/\*`, "a/*", true},
		{`a/\*`, "a/b", false},
		{"[{]x", "{x", true},
		{"exact/path.sh", "exact/path.sh", true},
		{"exact/path.sh", "exact/path.shx", false},
	}
	for _, tt := range tests {
		g, err := compileGlob(tt.pattern)
		if err != nil {
			t.Errorf("compileGlob(%q): %v", tt.pattern, err)
			continue
		}
		if got := g.match(tt.name); got != tt.want {
			t.Errorf("glob %q match %q = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestGlobBad(t *testing.T) {
	for _, pattern := range []string{"", "a/[b", "{a,b", "a}", `a\`, "[]", strings.Repeat("{a,b}", 9)} {
		if _, err := compileGlob(pattern); !errors.Is(err, ErrBadGlob) {
			t.Errorf("compileGlob(%q) = %v, want ErrBadGlob", pattern, err)
		}
	}
}

func TestLiteralPrefix(t *testing.T) {
	tests := []struct{ pattern, want string }{
		{"scripts/**/*.sh", "scripts/"},
		{"a/b/c.sh", "a/b/"},
		{"*.sh", ""},
		{"a/{b,c}/d", "a/"},
		{`a/\*`, "a/"},
	}
	for _, tt := range tests {
		if got := literalPrefix(tt.pattern); got != tt.want {
			t.Errorf("literalPrefix(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
}

// FuzzGlob checks that no pattern makes compiling or matching panic or run
// away, and that a literal pattern matches itself.
func FuzzGlob(f *testing.F) {
	for _, s := range []string{"scripts/**/*.sh", "{a,b{c,d}}/[x-z]?", `a\*`, "**", "[", "{"} {
		f.Add(s, "scripts/a/b.sh")
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		g, err := compileGlob(pattern)
		if err != nil {
			return
		}
		g.match(name)
		if !strings.ContainsAny(pattern, `*?[{\`) && !g.match(pattern) {
			t.Errorf("literal %q does not match itself", pattern)
		}
	})
}
