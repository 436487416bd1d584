package prcomment

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"envs/prod-eu", "envs/prod-eu"},
		{"<b>|*_`[x](y)", "&#60;b&#62;&#124;&#42;&#95;&#96;&#91;x&#93;&#40;y&#41;"},
		{"@team", "@&#8203;team"},
		{"a\nb\r\tc", "a b  c"},
		{"x\u202ey", "x\uFFFDy"},
		{"bad\xffutf8", "bad\uFFFDutf8"},
	} {
		if got := text(tc.in, 1000); got != tc.want {
			t.Errorf("text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := text(strings.Repeat("<", 100), 50)
	if len(long) > 50 || !strings.HasSuffix(long, ellipsis) || strings.Contains(long, "&#6…") {
		t.Errorf("text cut = %q: over 50 bytes, no ellipsis, or an entity cut", long)
	}
}

func TestCode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a.b", "`a.b`"},
		{"a`b", "``a`b``"},
		{"`x`", "`` `x` ``"},
		{"a``b\nc", "```a``b c```"},
		{"", "`\"\"`"},
	} {
		if got := code(tc.in, 100); got != tc.want {
			t.Errorf("code(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFenceAndDiff(t *testing.T) {
	if got := fenceFor("a\n````\nb"); got != "`````" {
		t.Errorf("fenceFor = %q, want five backticks", got)
	}
	if got := fenceFor("plain"); got != "```" {
		t.Errorf("fenceFor = %q, want three backticks", got)
	}
	in := "  + a = 1\n  ~ b {\n      - c = 2\n    }\n# x will be created\n+x"
	want := "+   a = 1\n!   b {\n-       c = 2\n    }\n# x will be created\n+x"
	if got := diffText(in); got != want {
		t.Errorf("diffText =\n%s\nwant\n%s", got, want)
	}
	if got := blockText("a\r\nb\rc\x00d\n\n"); got != "a\nb\nc\uFFFDd" {
		t.Errorf("blockText = %q", got)
	}
}

func TestRunLink(t *testing.T) {
	for _, tc := range []struct{ base, id, want string }{
		{"https://dg.example.com/", "01J", "https://dg.example.com/runs/01J"},
		{"https://dg.example.com", "a)(b c", "https://dg.example.com/runs/a%29%28b%20c"},
		{"", "01J", ""},
		{"https://dg.example.com", strings.Repeat("x", maxLink), ""},
	} {
		if got := runLink(tc.base, tc.id); got != tc.want {
			t.Errorf("runLink(%q, %q) = %q, want %q", tc.base, tc.id, got, tc.want)
		}
	}
}
