package tfrun

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestFingerprint(t *testing.T) {
	base := map[string]string{
		"stack/main.tf": `terraform {
  required_providers {
    dgtest = { source = "driftgate/dgtest" }
  }
}
module "m" { source = "../modules/m" }
resource "dgtest_server" "a" { name = "a" }
`,
		"stack/vars.tf":         `variable "x" { default = 1 }`,
		"stack/prod.tfvars":     `x = 2`,
		"modules/m/main.tf":     `resource "dgtest_server" "b" { name = "b" }`,
		"modules/m/tpl/a.tpl":   `hello`,
		"stack/backend.tf.json": `{"terraform": {"backend": {"local": {"path": "/s"}}}}`,
	}
	fp := func(files map[string]string, version, ws string) string {
		t.Helper()
		dir := t.TempDir()
		for name, body := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		f, err := fingerprint(dir, version, ws)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	with := func(name, body string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		m[name] = body
		return m
	}
	want := fp(base, "1.11.4", "default")
	tests := []struct {
		name     string
		files    map[string]string
		version  string
		ws       string
		sameInit bool
	}{
		{"identical", base, "1.11.4", "default", true},
		{"resource attribute", with("stack/main.tf", strings.Replace(base["stack/main.tf"], `name = "a"`, `name = "z"`, 1)), "1.11.4", "default", true},
		{"module resource", with("modules/m/main.tf", `resource "dgtest_server" "b" { name = "c" }`), "1.11.4", "default", true},
		{"variable default", with("stack/vars.tf", `variable "x" { default = 9 }`), "1.11.4", "default", true},
		{"var file", with("stack/prod.tfvars", `x = 3`), "1.11.4", "default", true},
		{"template", with("modules/m/tpl/a.tpl", `bye`), "1.11.4", "default", true},
		{"new output file", with("stack/outputs.tf", `output "o" { value = 1 }`), "1.11.4", "default", true},
		{"terraform version", base, "1.11.5", "default", false},
		{"workspace", base, "1.11.4", "prod", false},
		{"module source", with("stack/main.tf", strings.Replace(base["stack/main.tf"], "../modules/m", "./m2", 1)), "1.11.4", "default", false},
		{"nested module call", with("modules/m/main.tf", `module "n" { source = "./n" }`), "1.11.4", "default", false},
		{"required providers", with("stack/main.tf", strings.Replace(base["stack/main.tf"], "driftgate/dgtest", "acme/dgtest", 1)), "1.11.4", "default", false},
		{"provider block", with("stack/p.tf", `provider "dgtest" { root = "/x" }`), "1.11.4", "default", false},
		{"new resource type", with("stack/r.tf", `resource "random_id" "r" {}`), "1.11.4", "default", false},
		{"lock file", with("stack/.terraform.lock.hcl", `provider "x" {}`), "1.11.4", "default", false},
		{"json backend", with("stack/backend.tf.json", `{"terraform": {"backend": {"local": {"path": "/t"}}}}`), "1.11.4", "default", false},
		{"broken file counts whole", with("stack/bad.tf", `resource "x" {`), "1.11.4", "default", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fp(tt.files, tt.version, tt.ws)
			if (got == want) != tt.sameInit {
				t.Errorf("same fingerprint = %v, want %v", got == want, tt.sameInit)
			}
		})
	}
}

func TestInitCacheSkipsUnchangedInit(t *testing.T) {
	h := newHarness(t)
	h.write(t, map[string]string{"web/main.tf": h.stack(`resource "dgtest_server" "web" { name = "web" }`)})
	first, err := h.plan(t, "web")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, first.logOrEmpty())
	}
	if strings.Contains(string(first.Log), "skipped") {
		t.Fatal("first plan skipped init")
	}
	second, err := h.plan(t, "web")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, second.logOrEmpty())
	}
	if !strings.Contains(string(second.Log), "init (skipped") {
		t.Errorf("second plan of an unchanged stack ran init:\n%s", second.Log)
	}
	if second.Analysis.Summary != first.Analysis.Summary || !second.HasChanges {
		t.Errorf("summaries differ: %+v vs %+v", first.Analysis.Summary, second.Analysis.Summary)
	}

	// A resource change needs no new init.
	h.write(t, map[string]string{"web/main.tf": h.stack(`resource "dgtest_server" "web" {
  name = "web"
  size = "large"
}`)})
	res, err := h.plan(t, "web")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, res.logOrEmpty())
	}
	if !strings.Contains(string(res.Log), "init (skipped") {
		t.Errorf("a resource change ran init:\n%s", res.Log)
	}
	if len(res.Analysis.Changes) != 1 || len(res.Analysis.Changes[0].Attributes) == 0 {
		t.Fatalf("changes = %+v", res.Analysis.Changes)
	}

	// A new module call does.
	h.write(t, map[string]string{
		"web/mod.tf":        `module "m" { source = "../modules/m" }`,
		"modules/m/main.tf": `output "v" { value = 1 }`,
	})
	third, err := h.plan(t, "web", "modules/m")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, third.logOrEmpty())
	}
	if strings.Contains(string(third.Log), "skipped") {
		t.Errorf("plan after a config change skipped init:\n%s", third.Log)
	}
	if _, err := os.Stat(filepath.Join(h.src, "web", ".terraform.lock.hcl")); !os.IsNotExist(err) {
		t.Error("the checkout was written to")
	}
}

func TestInitCacheRecoversFromBrokenCache(t *testing.T) {
	h := newHarness(t)
	h.write(t, map[string]string{"web/main.tf": h.stack(`resource "dgtest_server" "web" { name = "web" }`)})
	if res, err := h.plan(t, "web"); err != nil {
		t.Fatalf("plan: %v\n%s", err, res.logOrEmpty())
	}
	// Break what the cached init left behind.
	cache := h.planner.InitCacheDir("test/web", "")
	if err := os.RemoveAll(filepath.Join(cache, "providers")); err != nil {
		t.Fatal(err)
	}
	res, err := h.plan(t, "web")
	if err != nil {
		t.Fatalf("plan with a broken init cache: %v\n%s", err, res.logOrEmpty())
	}
	if !strings.Contains(string(res.Log), "running init and planning again") {
		t.Errorf("no retry recorded:\n%s", res.Log)
	}
	if res.Analysis.Summary.Add != 1 {
		t.Errorf("summary = %+v", res.Analysis.Summary)
	}
}

func TestInitCacheSameStackConcurrently(t *testing.T) {
	h := newHarness(t)
	h.write(t, map[string]string{"web/main.tf": h.stack(`resource "dgtest_server" "web" { name = "web" }`)})
	var wg sync.WaitGroup
	errs := make(chan string, 3)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if res, err := h.plan(t, "web"); err != nil {
				errs <- err.Error() + "\n" + res.logOrEmpty()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
