package tfrun

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPinProvidersSurvivesCacheRewrite builds the layout Terraform leaves
// behind (.terraform/providers -> cache entry -> mirror or extracted files),
// pins it, then rewrites the cache as a concurrent init does, and checks the
// run still sees its original provider files.
func TestPinProvidersSurvivesCacheRewrite(t *testing.T) {
	base := t.TempDir()
	mirror := filepath.Join(base, "mirror", "p", "1.0", "linux_amd64")
	cache := filepath.Join(base, "cache")
	data := filepath.Join(base, "run", ".terraform")
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	// Provider a: the cache entry links to a filesystem mirror.
	write(filepath.Join(mirror, "provider-a"), "mirror-bytes")
	link(mirror, filepath.Join(cache, "a", "1.0", "linux_amd64"))
	link(filepath.Join(cache, "a", "1.0", "linux_amd64"), filepath.Join(data, "providers", "a", "1.0", "linux_amd64"))
	// Provider b: the cache entry holds extracted files.
	write(filepath.Join(cache, "b", "2.0", "linux_amd64", "provider-b"), "cached-bytes")
	link(filepath.Join(cache, "b", "2.0", "linux_amd64"), filepath.Join(data, "providers", "b", "2.0", "linux_amd64"))

	if err := pinProviders(data, cache); err != nil {
		t.Fatal(err)
	}
	// A concurrent init replaces both cache entries.
	for _, p := range []string{filepath.Join(cache, "a"), filepath.Join(cache, "b")} {
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(cache, "b", "2.0", "linux_amd64", "provider-b"), "rewritten")

	tests := []struct{ path, want string }{
		{filepath.Join(data, "providers", "a", "1.0", "linux_amd64", "provider-a"), "mirror-bytes"},
		{filepath.Join(data, "providers", "b", "2.0", "linux_amd64", "provider-b"), "cached-bytes"},
	}
	for _, tt := range tests {
		got, err := os.ReadFile(tt.path)
		if err != nil || string(got) != tt.want {
			t.Errorf("%s = %q, %v; want %q", tt.path, got, err, tt.want)
		}
	}
}

func TestPinProvidersNoProviders(t *testing.T) {
	if err := pinProviders(filepath.Join(t.TempDir(), ".terraform"), t.TempDir()); err != nil {
		t.Fatal(err)
	}
}
