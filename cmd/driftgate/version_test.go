package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestVersionCommand(t *testing.T) {
	tf, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform is not on PATH")
	}
	code, out, errOut := runCLI(t, "version")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	abs, _ := filepath.Abs(tf)
	for _, want := range []string{
		"driftgate " + buildVersion + "\n", "commit:    ", "go:        " + runtime.Version(),
		"terraform: Terraform 1.", "(" + abs + ")",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("version lacks %q:\n%s", want, out)
		}
	}

	// With a config pinning a version nothing has, it says so and
	// downloads nothing.
	dir := t.TempDir()
	config := filepath.Join(dir, "driftgate.hcl")
	if err := os.WriteFile(config, []byte(fmt.Sprintf("data_dir = %q\nterraform {\n  version = \"0.1.0\"\n}\n", dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, "version", "--config", config)
	if code != 0 || !strings.Contains(out, "terraform: none found: ") {
		t.Errorf("version --config with an unmet pin: exit %d\n%s%s", code, out, errOut)
	}
	// data_dir/bin may hold the version cache, never a release.
	entries, _ := os.ReadDir(filepath.Join(dir, "bin"))
	for _, e := range entries {
		if e.Name() != "versions.json" {
			t.Errorf("version installed %s into data_dir/bin", e.Name())
		}
	}
}

func TestServeNeedsConfig(t *testing.T) {
	t.Chdir(t.TempDir())
	code, _, errOut := runCLI(t, "serve")
	if code != 1 || !strings.Contains(errOut, "serve needs --config FILE") {
		t.Errorf("serve without --config: exit %d, stderr %q", code, errOut)
	}
}
