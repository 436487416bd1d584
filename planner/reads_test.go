package planner

import (
	"slices"
	"strings"
	"testing"
)

// readInputs parses src as the file main.tf (or main.tf.json) of module
// modules/m, called by the stack in envs/s, and returns its inputs.
func readInputs(tb testing.TB, name, src string) []string {
	tb.Helper()
	mf, _ := parseModuleFile("modules/m/"+name, []byte(src))
	var out []string
	for _, r := range mf.reads {
		in, ok := r.input("modules/m", "envs/s")
		if !ok {
			out = append(out, "(outside the repo)")
			continue
		}
		if in.Glob {
			in.Path += " (glob)"
		}
		out = append(out, in.Path+": "+in.Reason)
	}
	return out
}

func TestCollectReads(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"file under path.module", `locals { x = file("${path.module}/files/a.json") }`,
			[]string{"modules/m/files/a.json: read by modules/m/main.tf:1"}},
		{"templatefile, heredoc-free, path.root", `locals { x = templatefile("${path.root}/t.tpl", {}) }`,
			[]string{"envs/s/t.tpl: read by modules/m/main.tf:1"}},
		{"path.cwd is the stack dir", `locals { x = filemd5("${path.cwd}/x.zip") }`,
			[]string{"envs/s/x.zip: read by modules/m/main.tf:1"}},
		{"bare relative path in a file function", `locals { x = file("files/b.txt") }`,
			[]string{"envs/s/files/b.txt: read by modules/m/main.tf:1"}},
		{"bare string elsewhere is no path", `locals { x = "files/b.txt" }`, nil},
		{"any argument: archive source_dir", "data \"archive_file\" \"z\" {\n  source_dir = \"${path.module}/lambda\"\n}",
			[]string{"modules/m/lambda: read by modules/m/main.tf:2"}},
		{"bare path.module is the whole directory", `data "archive_file" "z" { source_dir = path.module }`,
			[]string{"modules/m: read by modules/m/main.tf:1"}},
		{"fileset pattern", `locals { x = fileset("${path.module}/policies", "**/*.json") }`,
			[]string{"modules/m/policies/**/*.json/** (glob): read by modules/m/main.tf:1"}},
		{"fileset with a non-literal pattern", `locals { x = fileset(path.module, var.p) }`,
			[]string{"modules/m: read by modules/m/main.tf:1"}},
		{"non-literal part within a segment", `locals { x = file("${path.module}/config-${var.env}.json") }`,
			[]string{"modules/m/config-*.json/** (glob): read by modules/m/main.tf:1"}},
		{"non-literal whole segment", `locals { x = file("${path.module}/envs/${var.env}/c.json") }`,
			[]string{"modules/m/envs/**/c.json/** (glob): read by modules/m/main.tf:1"}},
		{"base then only non-literal parts is vague", `locals { x = [for f in var.fs : file("${path.module}/${f}")] }`, nil},
		{"climbing after a non-literal part", `locals { x = file("${path.module}/a/${var.x}/../b") }`,
			[]string{"modules/m/a/** (glob): read by modules/m/main.tf:1"}},
		{"climbing out of the module", `locals { x = file("${path.module}/../shared/p.json") }`,
			[]string{"modules/shared/p.json: read by modules/m/main.tf:1"}},
		{"climbing out of the repo", `locals { x = file("${path.module}/../../../x") }`,
			[]string{"(outside the repo)"}},
		{"glob characters in a literal path are escaped", `locals { x = file("${path.module}/[a]/${var.x}.txt") }`,
			[]string{`modules/m/\[a\]/*.txt/** (glob): read by modules/m/main.tf:1`}},
		{"a variable path is unknown", `locals { x = file(var.path) }`, nil},
		{"absolute paths are outside", `locals { x = file("/etc/hosts") }`, nil},
		{"core:: prefix", `locals { x = core::file("a.txt") }`,
			[]string{"envs/s/a.txt: read by modules/m/main.tf:1"}},
		{"parenthesised", `locals { x = file((path.module)) }`,
			[]string{"modules/m: read by modules/m/main.tf:1"}},
		{"nested in other calls", `locals { x = jsondecode(file("${path.module}/a.json")).k }`,
			[]string{"modules/m/a.json: read by modules/m/main.tf:1"}},
		{"path.module passed on is the whole directory", `locals { x = format("%s/a", path.module) }`,
			[]string{"modules/m: read by modules/m/main.tf:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readInputs(t, "main.tf", tt.src)
			if g, w := strings.Join(got, "\n"), strings.Join(tt.want, "\n"); g != w {
				t.Errorf("inputs of %s:\ngot\n%s\nwant\n%s", tt.src, g, w)
			}
		})
	}
}

func TestCollectJSONReads(t *testing.T) {
	src := `{"locals": {"a": "${file(\"${path.module}/a.json\")}", "b": ["${path.root}/b"], "c": "plain", "n": 1}}`
	got := readInputs(t, "main.tf.json", src)
	want := "envs/s/b: read by modules/m/main.tf.json\nmodules/m/a.json: read by modules/m/main.tf.json"
	if g := strings.Join(slices.Sorted(slices.Values(got)), "\n"); g != want {
		t.Errorf("inputs:\ngot\n%s\nwant\n%s", g, want)
	}
}

// FuzzCollectReads feeds any text to the read collector of both syntaxes:
// it must not panic, and every input it yields must stay in the repo and
// compile when it is a glob.
func FuzzCollectReads(f *testing.F) {
	f.Add(`locals { x = file("${path.module}/files/${var.a}-x.json") }`)
	f.Add(`locals { x = fileset(path.root, "{a,b}/**/*.tf") }`)
	f.Add(`{"locals": {"a": "${templatefile(\"${path.module}/t\", {})}"}}`)
	f.Add(`x = file("${path.module}/../../${x}/..//[")`)
	f.Fuzz(func(t *testing.T, src string) {
		for _, name := range []string{"main.tf", "main.tf.json"} {
			mf, _ := parseModuleFile("m/"+name, []byte(src))
			for _, r := range mf.reads {
				in, ok := r.input("m", "s")
				if !ok {
					continue
				}
				if in.Glob {
					if _, err := compileGlob(in.Path); err != nil {
						t.Fatalf("input glob %q does not compile: %v", in.Path, err)
					}
				} else if _, err := cleanRepoPath(in.Path); err != nil {
					t.Fatalf("input path %q: %v", in.Path, err)
				}
			}
		}
	})
}
