package tfrun

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
)

func TestTopDirs(t *testing.T) {
	tests := []struct {
		in, want []string
	}{
		{[]string{"a", "a/b", "c"}, []string{"a", "c"}},
		{[]string{"envs/prod", "modules/vpc", "modules/vpc/sub"}, []string{"envs/prod", "modules/vpc"}},
		{[]string{".", "modules/x"}, []string{"."}},
		{[]string{"ab", "a"}, []string{"a", "ab"}},
	}
	for _, tt := range tests {
		if got := topDirs(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("topDirs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSafeKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"infra/network", "infra/network"},
		{"../../etc", "__/__/etc"},
		{"a b$c", "a_b_c"},
		{"", "_"},
	}
	for _, tt := range tests {
		if got := safeKey(tt.in); got != tt.want {
			t.Errorf("safeKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func listFiles(tb testing.TB, root string) []string {
	tb.Helper()
	var out []string
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !info.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestPrepareCopiesStackModulesAndVarFiles(t *testing.T) {
	src := fstest.MapFS{
		"envs/prod/main.tf":                   {Data: []byte(`module "vpc" { source = "../../modules/vpc" }`)},
		"envs/prod/templates/user.tpl":        {Data: []byte("x")},
		"envs/prod/.terraform/providers/junk": {Data: []byte("junk")},
		"envs/prod/terraform.tfstate":         {Data: []byte("{}")},
		"envs/prod/nested/main.tf":            {Data: []byte("# another stack")},
		"envs/common.tfvars":                  {Data: []byte(`x = 1`)},
		"modules/vpc/main.tf":                 {Data: []byte(`module "sub" { source = "./sub" }`)},
		"modules/vpc/sub/main.tf":             {Data: []byte("")},
		"modules/unused/main.tf":              {Data: []byte("")},
		"README.md":                           {Data: []byte("")},
	}
	dst := filepath.Join(t.TempDir(), "run")
	wd, err := Prepare(context.Background(), src, Layout{
		Dir:      "envs/prod",
		Modules:  []string{"modules/vpc", "modules/vpc/sub"},
		VarFiles: []string{"envs/common.tfvars"},
		Skip:     []string{"envs/prod/nested"},
	}, dst)
	if err != nil {
		t.Fatal(err)
	}
	got := listFiles(t, filepath.Join(dst, "src"))
	want := []string{
		"envs/common.tfvars",
		"envs/prod/main.tf",
		"envs/prod/templates/user.tpl",
		"modules/vpc/main.tf",
		"modules/vpc/sub/main.tf",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("copied %q\nwant %q", got, want)
	}
	if wd.StackDir != filepath.Join(dst, "src", "envs", "prod") {
		t.Errorf("stack dir = %s", wd.StackDir)
	}
	if len(wd.VarFiles) != 1 || !strings.HasSuffix(wd.VarFiles[0], filepath.FromSlash("src/envs/common.tfvars")) {
		t.Errorf("var files = %q", wd.VarFiles)
	}
	stateDir := filepath.Join(t.TempDir(), "state")
	if err := wd.SetDefaultBackend(LocalState{Path: filepath.Join(stateDir, "terraform.tfstate"), WorkspaceDir: filepath.Join(stateDir, "workspaces")}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(wd.StackDir, BackendFile))
	if err != nil || !strings.Contains(string(raw), `"local"`) {
		t.Errorf("backend file: %s, %v", raw, err)
	}
	if err := wd.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("work dir still there: %v", err)
	}
}

func TestPrepareMissingDir(t *testing.T) {
	_, err := Prepare(context.Background(), fstest.MapFS{"a/main.tf": {}}, Layout{Dir: "b"}, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "b: directory does not exist") {
		t.Errorf("err = %v", err)
	}
}

func TestPrepareSymlinks(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "stack", "main.tf"), "")
	write(filepath.Join(root, "shared", "vars.tf"), "variable \"x\" {}")
	write(filepath.Join(outside, "secret.txt"), "secret")
	mustLink := func(target, link string) {
		t.Helper()
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	mustLink("../shared/vars.tf", filepath.Join(root, "stack", "vars.tf"))
	mustLink(filepath.Join(outside, "secret.txt"), filepath.Join(root, "stack", "abs.txt"))
	mustLink("../../escape", filepath.Join(root, "stack", "escape"))
	mustLink(".", filepath.Join(root, "stack", "loop"))

	dst := t.TempDir()
	if _, err := Prepare(context.Background(), os.DirFS(root), Layout{Dir: "stack"}, dst); err != nil {
		t.Fatal(err)
	}
	got := listFiles(t, filepath.Join(dst, "src"))
	for _, f := range got {
		if strings.HasSuffix(f, "abs.txt") || strings.Contains(f, "escape") {
			t.Errorf("copied a link that leaves the checkout: %s", f)
		}
	}
	if !contains(got, "stack/vars.tf") || !contains(got, "stack/main.tf") {
		t.Errorf("copied %q", got)
	}
	if len(got) > 2+maxLinkDepth*2 {
		t.Errorf("link loop copied %d files", len(got))
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func TestResolverVersionCachePersists(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "terraform")
	// A fake binary that prints a version once; the second resolver must
	// not run it (it is made non-executable after the first).
	script := "#!/bin/sh\necho 'Terraform v1.9.9'\necho 'on linux_amd64'\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r1 := &Resolver{Path: bin, InstallDir: filepath.Join(dir, "bin")}
	b, err := r1.Resolve(context.Background(), "~> 1.9")
	if err != nil || b.Version.String() != "1.9.9" {
		t.Fatalf("resolve = %+v, %v", b, err)
	}
	st, _ := os.Stat(bin)
	if err := os.WriteFile(bin, []byte("#!/bin/sh\nexit 1\n#"+strings.Repeat("x", len(script)-18)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(bin, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	r2 := &Resolver{Path: bin, InstallDir: filepath.Join(dir, "bin")}
	b, err = r2.Resolve(context.Background(), "~> 1.9")
	if err != nil || b.Version.String() != "1.9.9" {
		t.Fatalf("second resolve did not use the cache: %+v, %v", b, err)
	}
	r3 := &Resolver{Path: bin, InstallDir: filepath.Join(dir, "bin")}
	if _, err := r3.Resolve(context.Background(), "~> 2.0"); err == nil {
		t.Error("constraint not checked against the cached version")
	}
}
