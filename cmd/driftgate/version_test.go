package main

import (
	"runtime"
	"strings"
	"testing"
)

func TestVersionCommand(t *testing.T) {
	code, out, errOut := runCLI(t, "version")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"driftgate " + buildVersion + "\n", "commit:   ", "go:       " + runtime.Version()} {
		if !strings.Contains(out, want) {
			t.Errorf("version lacks %q:\n%s", want, out)
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
