package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigCheck(t *testing.T) {
	setTestEnv(t)
	code, out, errOut := runCLI(t, "config", "check", filepath.Join("testdata", "config", "full.hcl"))
	if code != 0 || !strings.Contains(out, "full.hcl: ok: 2 repos") {
		t.Errorf("check full.hcl: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "config", "check", filepath.Join("testdata", "config", "bad_log.hcl"))
	if code != 1 || out != "" {
		t.Errorf("check bad_log.hcl: exit %d, stdout %q", code, out)
	}
	for _, want := range []string{"bad_log.hcl:2", "Invalid log level", "bad_log.hcl:3", "Invalid log format", "invalid config"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("check bad_log.hcl: stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		code, out, errOut := runCLI(t, "completion", shell)
		if code != 0 || !strings.Contains(out, "driftgate") || len(out) < 1000 {
			t.Errorf("completion %s: exit %d, %d bytes, stderr %s", shell, code, len(out), errOut)
		}
	}
}
