package varedit

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func decl(ty cty.Type) []Declared { return []Declared{{Stack: "stack app", Type: ty}} }

// appTypes are the declarations of the stack the fixtures belong to.
var appTypes = map[string][]Declared{
	"image_tag":  decl(cty.String),
	"replicas":   decl(cty.Number),
	"region":     decl(cty.String),
	"enable_cdn": decl(cty.Bool),
	"tags":       decl(cty.Map(cty.String)),
	"zones":      decl(cty.List(cty.String)),
}

func TestEditGolden(t *testing.T) {
	tests := []struct {
		dir, file string
		block     string
		sets      []Setting
		changes   int
	}{
		{dir: "aligned", file: "input.tfvars", sets: []Setting{{Name: "image_tag", Raw: "v1.4.2"}}, changes: 1},
		{dir: "types", file: "input.tfvars", sets: []Setting{
			{Name: "image_tag", Raw: `v2 "quoted" ${not.interp}`},
			{Name: "replicas", Raw: "5"},
			{Name: "enable_cdn", Raw: "true"},
			{Name: "region", Raw: "us-east-1"},
		}, changes: 4},
		{dir: "add", file: "input.tfvars", sets: []Setting{
			{Name: "replicas", Raw: "4"},
			{Name: "zones", Raw: `["a","b"]`, JSON: true},
			{Name: "tags", Raw: `{"team":"web","tier":"1"}`, JSON: true},
		}, changes: 3},
		{dir: "json", file: "input.tfvars.json", sets: []Setting{
			{Name: "image_tag", Raw: "v1.4.2"},
			{Name: "replicas", Raw: "3"}, // already set: no change
			{Name: "tags", Raw: `{"team":"api"}`, JSON: true},
		}, changes: 2},
		{dir: "json_add", file: "input.tfvars.json", sets: []Setting{
			{Name: "enable_cdn", Raw: "true"},
			{Name: "zones", Raw: `["a"]`, JSON: true},
		}, changes: 2},
		{dir: "locals", file: "input.tf", block: "locals", sets: []Setting{
			{Name: "image_tag", Raw: "v1.4.2"},
			{Name: "replicas", Raw: "6"}, // typed like the value it replaces
			{Name: "owner", Raw: "web-team"},
		}, changes: 3},
		{dir: "variable_default", file: "input.tf", block: "variable", sets: []Setting{
			{Name: "image_tag", Raw: "v1.4.2"},
			{Name: "replicas", Raw: "2"},
		}, changes: 2},
		{dir: "notclean", file: "input.tfvars", sets: []Setting{{Name: "replicas", Raw: "4"}}, changes: 1},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			in := filepath.Join("testdata", tt.dir, tt.file)
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got, changes, err := Edit(tt.file, src, tt.sets, Options{Block: tt.block, Declared: appTypes, Stacks: []string{"app"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(changes) != tt.changes {
				t.Errorf("changes = %v, want %d", changes, tt.changes)
			}
			want := filepath.Join("testdata", tt.dir, strings.Replace(tt.file, "input", "want", 1))
			if *update {
				if err := os.WriteFile(want, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			wantSrc, err := os.ReadFile(want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, wantSrc) {
				t.Errorf("got:\n%s\nwant:\n%s\ndiff:\n%s", got, wantSrc, Diff(tt.file, wantSrc, got))
			}
			// A second run sets nothing: the CI job re-run is a no-op.
			again, changes, err := Edit(tt.file, got, tt.sets, Options{Block: tt.block, Declared: appTypes, Stacks: []string{"app"}})
			if err != nil || len(changes) != 0 || !bytes.Equal(again, got) {
				t.Errorf("re-run: changes %v, err %v", changes, err)
			}
		})
	}
}

// TestEditGoldenFmtClean checks that the outputs made from fmt-clean
// inputs are fmt-clean, with the real terraform fmt.
func TestEditGoldenFmtClean(t *testing.T) {
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Skip("terraform not on PATH")
	}
	dir := t.TempDir()
	wants, _ := filepath.Glob("testdata/*/want.tf*")
	for _, w := range wants {
		if strings.HasSuffix(w, ".json") || strings.Contains(w, "notclean") {
			continue
		}
		src, _ := os.ReadFile(w)
		name := strings.ReplaceAll(w, string(filepath.Separator), "_")
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("terraform", "fmt", "-check", "-list=true", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("terraform fmt -check: %v\n%s", err, out)
	}
}

func TestEditRefuses(t *testing.T) {
	src := []byte("image_tag = \"v1\"\nreplicas  = 3\n")
	tests := []struct {
		name  string
		file  string
		sets  []Setting
		opts  Options
		want  error
		words []string
	}{
		{name: "number", file: "a.tfvars", sets: []Setting{{Name: "replicas", Raw: "three"}}, opts: Options{Declared: appTypes},
			want: ErrType, words: []string{"replicas", "number", `"three" is not a number`, "stack app"}},
		{name: "bool", file: "a.tfvars", sets: []Setting{{Name: "enable_cdn", Raw: "yes"}}, opts: Options{Declared: appTypes},
			want: ErrType, words: []string{"enable_cdn", "bool"}},
		{name: "map needs json", file: "a.tfvars", sets: []Setting{{Name: "tags", Raw: "x"}}, opts: Options{Declared: appTypes},
			want: ErrType, words: []string{"tags", "map(string)", "--var-json tags=JSON"}},
		{name: "json of wrong type", file: "a.tfvars", sets: []Setting{{Name: "zones", Raw: `{"a":[1]}`, JSON: true}}, opts: Options{Declared: appTypes},
			want: ErrType, words: []string{"zones", "list(string)"}},
		{name: "undeclared", file: "a.tfvars", sets: []Setting{{Name: "imagetag", Raw: "v2"}}, opts: Options{Declared: appTypes, Stacks: []string{"app"}},
			want: ErrUndeclared, words: []string{"imagetag", "app"}},
		{name: "existing only", file: "a.tfvars", sets: []Setting{{Name: "region", Raw: "x"}}, opts: Options{Declared: appTypes, ExistingOnly: true},
			want: ErrMissing, words: []string{"region", "--existing-only"}},
		{name: "tf without block", file: "main.tf", sets: []Setting{{Name: "x", Raw: "1"}},
			want: ErrUnsupported, words: []string{"--block locals"}},
		{name: "twice", file: "a.tfvars", sets: []Setting{{Name: "x", Raw: "1"}, {Name: "x", Raw: "2"}},
			want: ErrBadSetting, words: []string{"twice"}},
		{name: "other extension", file: "a.yaml", sets: []Setting{{Name: "x", Raw: "1"}},
			want: ErrUnsupported, words: []string{".tfvars"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Edit(tt.file, src, tt.sets, tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			for _, w := range tt.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestEditUndeclaredTypedLikeOldValue(t *testing.T) {
	src := []byte("replicas = 3\nname     = \"a\"\n")
	if _, _, err := Edit("a.tfvars", src, []Setting{{Name: "replicas", Raw: "many"}}, Options{}); !errors.Is(err, ErrType) {
		t.Errorf("replicas=many over a number: %v, want ErrType", err)
	}
	got, _, err := Edit("a.tfvars", src, []Setting{{Name: "replicas", Raw: "4"}, {Name: "name", Raw: "4"}}, Options{})
	if err != nil || string(got) != "replicas = 4\nname     = \"4\"\n" {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestEditBlocks(t *testing.T) {
	src := []byte(`locals {
  a = 1
}

locals {
  b = "x"
}

variable "replicas" {
  type    = number
  default = 1
}
`)
	got, _, err := Edit("m.tf", src, []Setting{{Name: "b", Raw: "y"}, {Name: "c", Raw: "z"}}, Options{Block: "locals"})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(strings.Replace(string(src), `b = "x"`, `b = "y"`, 1), "  a = 1\n", "  a = 1\n  c = \"z\"\n", 1)
	if string(got) != want {
		t.Errorf("locals: got\n%s\nwant\n%s", got, want)
	}
	got, _, err = Edit("m.tf", src, []Setting{{Name: "replicas", Raw: "3"}}, Options{Block: "variable.replicas"})
	if err != nil || !strings.Contains(string(got), "  default = 3\n") {
		t.Errorf("variable.replicas: %v\n%s", err, got)
	}
	// The variable's own type decides, with no stack declarations given.
	if _, _, err := Edit("m.tf", src, []Setting{{Name: "replicas", Raw: "lots"}}, Options{Block: "variable.replicas"}); !errors.Is(err, ErrType) || !strings.Contains(err.Error(), "number") {
		t.Errorf("variable.replicas=lots: %v", err)
	}
	if _, _, err := Edit("m.tf", src, []Setting{{Name: "other", Raw: "1"}}, Options{Block: "variable.replicas"}); !errors.Is(err, ErrBadSetting) {
		t.Errorf("variable.replicas given other: %v", err)
	}
	if _, _, err := Edit("m.tf", src, []Setting{{Name: "nope", Raw: "1"}}, Options{Block: "variable"}); !errors.Is(err, ErrMissing) {
		t.Errorf("variable block missing: %v", err)
	}
}

func TestParseSetting(t *testing.T) {
	s, err := ParseSetting("image_tag=v1=2", false)
	if err != nil || s.Name != "image_tag" || s.Raw != "v1=2" {
		t.Errorf("got %+v, %v", s, err)
	}
	for _, bad := range []string{"novalue", "=v", "1x=2", "a b=c"} {
		if _, err := ParseSetting(bad, false); !errors.Is(err, ErrBadSetting) {
			t.Errorf("ParseSetting(%q) = %v, want ErrBadSetting", bad, err)
		}
	}
}

func TestDiff(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh\n"
	b := "a\nb\nc\nD\ne\nf\ng\nh\ni\n"
	want := "--- a/f.tfvars\n+++ b/f.tfvars\n@@ -1,8 +1,9 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n h\n+i\n"
	if got := Diff("f.tfvars", []byte(a), []byte(b)); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if got := Diff("f", []byte(a), []byte(a)); got != "" {
		t.Errorf("equal inputs: %q", got)
	}
}
