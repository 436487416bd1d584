package tfrun

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftgate/driftgate/test/tftest"
)

func TestParseVersionOutput(t *testing.T) {
	tests := []struct {
		name        string
		out         string
		wantProduct Product
		wantVersion string
		wantErr     bool
	}{
		{"terraform", "Terraform v1.11.4\non linux_amd64\n", Terraform, "1.11.4", false},
		{"opentofu", "OpenTofu v1.10.10\non linux_amd64\n", OpenTofu, "1.10.10", false},
		{"opentofu dev build", "OpenTofu v1.10.10-dev\non linux_amd64\n", OpenTofu, "1.10.10-dev", false},
		{"providers listed", "Terraform v1.5.7\non darwin_arm64\n+ provider registry.terraform.io/driftgate/dgtest v0.1.0\n", Terraform, "1.5.7", false},
		{"warning first", "Warning: something\n\nOpenTofu v1.9.0\n", OpenTofu, "1.9.0", false},
		{"crlf", "Terraform v1.11.4\r\non windows_amd64\r\n", Terraform, "1.11.4", false},
		{"other program", "Python 3.12.1\n", "", "", true},
		{"empty", "", "", "", true},
		{"json", `{"terraform_version":"1.10.10","platform":"linux_amd64"}`, "", "", true},
		{"not a version", "Terraform vX\n", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, v, err := parseVersionOutput([]byte(tt.out))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got %s %s, want an error", p, v)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p != tt.wantProduct || v.String() != tt.wantVersion {
				t.Errorf("got %s %s, want %s %s", p, v, tt.wantProduct, tt.wantVersion)
			}
		})
	}
	if _, _, err := parseVersionOutput([]byte("Python 3.12.1\n")); !errors.Is(err, ErrNotTerraform) || !strings.Contains(err.Error(), "Python 3.12.1") {
		t.Errorf("err = %v, want ErrNotTerraform quoting the output", err)
	}
}

func FuzzParseVersionOutput(f *testing.F) {
	f.Add([]byte("Terraform v1.11.4\non linux_amd64\n"))
	f.Add([]byte("OpenTofu v1.10.10-dev\n"))
	f.Add([]byte("OpenTofu v1.2.3.4.5\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		p, v, err := parseVersionOutput(out)
		if err == nil && (v == nil || (p != Terraform && p != OpenTofu)) {
			t.Errorf("no error but product %q version %v", p, v)
		}
	})
}

func TestParseProduct(t *testing.T) {
	for in, want := range map[string]Product{"terraform": Terraform, "opentofu": OpenTofu, "tofu": OpenTofu, " OpenTofu ": OpenTofu} {
		if got, err := ParseProduct(in); err != nil || got != want {
			t.Errorf("ParseProduct(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseProduct("pulumi"); err == nil || !strings.Contains(err.Error(), `"opentofu"`) {
		t.Errorf("ParseProduct(pulumi) err = %v", err)
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct{ product, version, want string }{
		{"opentofu", "1.10.10", "OpenTofu 1.10.10"},
		{"terraform", "1.11.4", "Terraform 1.11.4"},
		{"", "1.11.4", "Terraform 1.11.4"}, // a record from before products were recorded
		{"opentofu", "", ""},
	}
	for _, tt := range tests {
		if got := Describe(tt.product, tt.version); got != tt.want {
			t.Errorf("Describe(%q, %q) = %q, want %q", tt.product, tt.version, got, tt.want)
		}
	}
}

// fakeBinary writes a script named name into dir that prints out for any
// arguments, as `terraform version` or `tofu version` would.
func fakeBinary(t *testing.T, dir, name, out string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	script := "#!/bin/sh\n" // builtins only: the tests narrow PATH
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		script += "echo '" + line + "'\n"
	}
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestResolveProduct(t *testing.T) {
	ctx := context.Background()
	onPath := t.TempDir()
	tofu := fakeBinary(t, onPath, "tofu", "OpenTofu v1.10.10\non linux_amd64\n")
	terraform := fakeBinary(t, onPath, "terraform", "Terraform v1.11.4\non linux_amd64\n")
	t.Setenv("PATH", onPath)

	t.Run("opentofu on PATH, checked against its own version", func(t *testing.T) {
		r := &Resolver{Product: OpenTofu, InstallDir: t.TempDir(), Install: true}
		b, err := r.Resolve(ctx, "~> 1.10.0", ">= 1.10")
		if err != nil {
			t.Fatal(err)
		}
		if b.Path != tofu || b.Product != OpenTofu || b.Version.String() != "1.10.10" || b.String() != "OpenTofu 1.10.10" {
			t.Errorf("resolved %+v (%s)", b, b)
		}
	})
	t.Run("opentofu too old: no install, says why", func(t *testing.T) {
		r := &Resolver{Product: OpenTofu, InstallDir: t.TempDir(), Install: true}
		_, err := r.Resolve(ctx, ">= 1.11")
		var nb *NoBinaryError
		if !errors.As(err, &nb) || nb.Product != OpenTofu {
			t.Fatalf("err = %v, want a NoBinaryError for OpenTofu", err)
		}
		for _, want := range []string{"no OpenTofu binary satisfies", tofu + " OpenTofu 1.10.10", "Terraform-only", "a matching tofu on PATH"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if entries, _ := os.ReadDir(r.InstallDir); len(entries) > 1 { // versions.json only
			t.Errorf("install dir holds %d entries; nothing may be installed", len(entries))
		}
	})
	t.Run("terraform stays the default", func(t *testing.T) {
		b, err := (&Resolver{}).Resolve(ctx, "~> 1.11")
		if err != nil || b.Path != terraform || b.Product != Terraform {
			t.Fatalf("resolve = %+v, %v", b, err)
		}
	})
	t.Run("a path is what it says it is", func(t *testing.T) {
		b, err := (&Resolver{Path: tofu}).Resolve(ctx, ">= 1.10")
		if err != nil || b.Product != OpenTofu || b.String() != "OpenTofu 1.10.10" {
			t.Fatalf("resolve = %+v, %v", b, err)
		}
	})
	t.Run("a path of the other product", func(t *testing.T) {
		_, err := (&Resolver{Path: tofu, Product: Terraform}).Resolve(ctx)
		if err == nil || !strings.Contains(err.Error(), "is OpenTofu 1.10.10, not Terraform") || !strings.Contains(err.Error(), `product = "opentofu"`) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("a terraform named tofu is not taken for OpenTofu", func(t *testing.T) {
		dir := t.TempDir()
		fakeBinary(t, dir, "tofu", "Terraform v1.11.4\n")
		t.Setenv("PATH", dir)
		_, err := (&Resolver{Product: OpenTofu}).Resolve(ctx)
		if err == nil || !strings.Contains(err.Error(), "Terraform 1.11.4") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("a tofu named terraform is what it says it is", func(t *testing.T) {
		dir := t.TempDir()
		named := fakeBinary(t, dir, "terraform", "OpenTofu v1.10.10\n")
		t.Setenv("PATH", dir)
		b, err := (&Resolver{}).Resolve(ctx, ">= 1.10")
		if err != nil || b.Path != named || b.Product != OpenTofu {
			t.Fatalf("resolve = %+v, %v", b, err)
		}
		if _, err := (&Resolver{Product: Terraform}).Resolve(ctx, ">= 1.10"); err == nil || !strings.Contains(err.Error(), named+" OpenTofu 1.10.10") {
			t.Errorf("product = terraform took a tofu: %v", err)
		}
	})
	t.Run("a dev build meets constraints on its release", func(t *testing.T) {
		dev := fakeBinary(t, t.TempDir(), "tofu", "OpenTofu v1.10.10-dev\n")
		b, err := (&Resolver{Path: dev}).Resolve(ctx, ">= 1.10.0")
		if err != nil || b.Version.String() != "1.10.10-dev" {
			t.Fatalf("resolve = %+v, %v", b, err)
		}
	})
	t.Run("not a terraform", func(t *testing.T) {
		other := fakeBinary(t, t.TempDir(), "tofu", "Python 3.12.1\n")
		_, err := (&Resolver{Path: other}).Resolve(ctx)
		if !errors.Is(err, ErrNotTerraform) || !strings.Contains(err.Error(), "configured terraform path") {
			t.Errorf("err = %v", err)
		}
	})
}

// TestVersionCacheWithoutProduct checks that a version remembered before
// the product was recorded is asked again: the tofu it came from was then
// taken for Terraform.
func TestVersionCacheWithoutProduct(t *testing.T) {
	dir := t.TempDir()
	tofu := fakeBinary(t, dir, "tofu", "OpenTofu v1.10.10\n")
	st, err := os.Stat(tofu)
	if err != nil {
		t.Fatal(err)
	}
	install := filepath.Join(dir, "bin")
	old := map[string]any{tofu: map[string]any{"mod_time": st.ModTime().Format(time.RFC3339Nano), "size": st.Size(), "version": "1.10.10-dev"}}
	raw, _ := json.Marshal(old)
	if err := os.MkdirAll(install, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(install, versionCacheFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := (&Resolver{Path: tofu, InstallDir: install}).Resolve(context.Background())
	if err != nil || b.String() != "OpenTofu 1.10.10" {
		t.Fatalf("resolve = %v, %v; want OpenTofu 1.10.10 asked afresh", b, err)
	}
	raw, err = os.ReadFile(filepath.Join(install, versionCacheFile))
	if err != nil || !strings.Contains(string(raw), `"product": "opentofu"`) {
		t.Errorf("cache file now %s, %v; want the product recorded", raw, err)
	}
}

// TestResolveConcurrentAsksOnce checks that runs resolving the same binary
// at once (the first runs of a new daemon) ask it its version once.
func TestResolveConcurrentAsksOnce(t *testing.T) {
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	path := filepath.Join(dir, "terraform")
	script := "#!/bin/sh\necho asked >> '" + calls + "'\necho 'Terraform v1.11.4'\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := &Resolver{Path: path, InstallDir: filepath.Join(dir, "bin")}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if b, err := r.Resolve(context.Background()); err != nil || b.String() != "Terraform 1.11.4" {
				t.Errorf("resolve = %v, %v", b, err)
			}
		}()
	}
	wg.Wait()
	raw, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(raw), "asked"); n != 1 {
		t.Errorf("the binary was asked its version %d times, want once", n)
	}
}

// TestResolveRealOpenTofu resolves the OpenTofu binary under test
// (DRIFTGATE_TEST_TOFU) as tofu on PATH, with a constraint only its own
// version meets.
func TestResolveRealOpenTofu(t *testing.T) {
	env := tftest.SetupTofu(t)
	dir := t.TempDir()
	if err := os.Symlink(env.TerraformPath, filepath.Join(dir, "tofu")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	b, err := (&Resolver{Product: OpenTofu}).Resolve(context.Background(), "~> 1.10.0")
	if err != nil {
		t.Fatal(err)
	}
	if b.Product != OpenTofu || b.Path != filepath.Join(dir, "tofu") || !strings.HasPrefix(b.String(), "OpenTofu 1.10.") {
		t.Errorf("resolved %s at %s", b, b.Path)
	}
}
