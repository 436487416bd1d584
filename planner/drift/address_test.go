package drift

import (
	"path"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAddressGlobMatch(t *testing.T) {
	tests := []struct {
		pattern string
		address string
		want    bool
	}{
		{"aws_autoscaling_group.*", "aws_autoscaling_group.web", true},
		{"aws_autoscaling_group.*", "aws_autoscaling_group.web[0]", true},
		{"aws_autoscaling_group.*", `aws_autoscaling_group.web["a.b"]`, true},
		{"aws_autoscaling_group.*", "aws_autoscaling_group_tag.web", false},
		{"aws_autoscaling_group.*", "module.app.aws_autoscaling_group.web", false},
		{"module.app.aws_autoscaling_group.*", "module.app.aws_autoscaling_group.web", true},
		{"module.app.aws_autoscaling_group.*", `module.app["eu"].aws_autoscaling_group.web`, true},
		{`module.app\["eu"\].aws_autoscaling_group.*`, `module.app["us"].aws_autoscaling_group.web`, false},
		{"**.aws_autoscaling_group.*", "aws_autoscaling_group.web", true},
		{"**.aws_autoscaling_group.*", "module.a.module.b.aws_autoscaling_group.web", true},
		{"**.aws_autoscaling_group.*", "module.a.aws_instance.web", false},
		{"module.app.**", "module.app.aws_instance.web", true},
		{"module.app.**", "module.app.module.db.aws_db_instance.main", true},
		{"module.app.**", "module.api.aws_instance.web", false},
		{"**", "anything.at[0].all", true},
		{"aws_instance.web", "aws_instance.web", true},
		{"aws_instance.web", "aws_instance.web[0]", true},
		{"aws_instance.web", `aws_instance.web["blue"]`, true},
		{"aws_instance.web", "aws_instance.web2", false},
		{`aws_instance.web\[0\]`, "aws_instance.web[0]", true},
		{`aws_instance.web\[0\]`, "aws_instance.web[1]", false},
		{`aws_instance.web\[*\]`, `aws_instance.web["a/b.c"]`, true},
		{`aws_s3_object.files\["dir/*"\]`, `aws_s3_object.files["dir/a.txt"]`, true},
		{`aws_s3_object.files\["dir/*"\]`, `aws_s3_object.files["other/a.txt"]`, false},
		{"aws_instance.web[0-9]", "aws_instance.web1", true},
		{"aws_instance.web[!0-9]", "aws_instance.webx", true},
		{"aws_instance.web[^0-9]", "aws_instance.web1", false},
		{"aws_instance.w?b", "aws_instance.web", true},
		{"aws_*.web", "aws_instance.web", true},
		{"aws_*", "aws_instance.web", false},
		{"{aws_instance,aws_eip}.web", "aws_eip.web", true},
		{"{aws_instance,aws_eip}.web", "aws_ec2.web", false},
		{"{module.app.,}aws_instance.web", "module.app.aws_instance.web", true},
		{"{module.app.,}aws_instance.web", "aws_instance.web", true},
		{"data.aws_ami.*", "data.aws_ami.ubuntu", true},
		{"aws_instance.web", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" "+tt.address, func(t *testing.T) {
			g, err := compileAddressGlob(tt.pattern)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			if got := g.match(tt.address); got != tt.want {
				t.Errorf("match(%q, %q) = %v, want %v", tt.pattern, tt.address, got, tt.want)
			}
		})
	}
}

func TestSplitSegments(t *testing.T) {
	tests := []struct {
		s      string
		isGlob bool
		want   []string
	}{
		{"module.app.aws_instance.web[0]", false, []string{"module", "app", "aws_instance", "web[0]"}},
		{`a.b["x.y"]`, false, []string{"a", `b["x.y"]`}},
		{`a.b["x\".y"].c`, false, []string{"a", `b["x\".y"]`, "c"}},
		{`a.b[".]"]`, false, []string{"a", `b[".]"]`}},
		{`a.b\["x.y"\]`, true, []string{"a", `b\["x.y"\]`}},
		{`a.[.]b`, true, []string{"a", "[.]b"}},
		{`a\.b.c`, true, []string{`a\.b`, "c"}},
		{`a.["].b`, true, []string{"a", `["]`, "b"}},
	}
	for _, tt := range tests {
		if got := splitSegments(tt.s, tt.isGlob); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitSegments(%q, %v) = %q, want %q", tt.s, tt.isGlob, got, tt.want)
		}
	}
}

// FuzzAddressGlob checks that compiling and matching never panic, that
// every address matches itself (when it holds no glob syntax) and "**", and
// that within one segment the matcher agrees with path.Match wherever
// path.Match's "/" rule cannot apply.
func FuzzAddressGlob(f *testing.F) {
	for _, s := range [][2]string{
		{"aws_autoscaling_group.*", "aws_autoscaling_group.web"},
		{"module.app.**", `module.app["x"].aws_instance.web[0]`},
		{`aws_instance.web\[0\]`, "aws_instance.web[0]"},
		{"{a,b}.[!c-e]?", "a.fx"},
		{"**.*", `a.b["c.d"]`},
		{"[", "a"},
		{"a.{b,{c,d}}*", "a.dd"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, address string) {
		g, err := compileAddressGlob(pattern)
		if err == nil {
			g.match(address)
		}
		if all, _ := compileAddressGlob("**"); !all.match(address) {
			t.Errorf("** does not match %q", address)
		}
		if address != "" && !strings.ContainsAny(address, `*?[]{}\,`) {
			self, err := compileAddressGlob(address)
			if err == nil && !self.match(address) {
				t.Errorf("%q does not match itself", address)
			}
		}
		if !utf8.ValidString(pattern) || !utf8.ValidString(address) ||
			strings.ContainsAny(pattern+address, "/!") {
			return
		}
		want, perr := path.Match(pattern, address)
		if (checkSegment(pattern) == nil) != (perr == nil) {
			t.Fatalf("checkSegment(%q) = %v, path.Match error = %v", pattern, checkSegment(pattern), perr)
		}
		if perr == nil {
			if got := matchSegment(pattern, address); got != want {
				t.Errorf("matchSegment(%q, %q) = %v, path.Match = %v", pattern, address, got, want)
			}
		}
	})
}
