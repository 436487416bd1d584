// Package test holds driftgate's end-to-end tests: they build the real
// binary and run it as a process, with real terraform against the test
// provider.
package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/test/tftest"
)

// moduleRoot is the repository root, two levels above this file.
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("no caller information")
	}
	return filepath.Dir(filepath.Dir(file))
}

// buildDriftgate builds the driftgate binary into a temp dir.
func buildDriftgate(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "driftgate")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/driftgate")
	cmd.Dir = moduleRoot(tb)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestQuickstartExample runs examples/quickstart/run.sh, what `make example`
// runs, against a freshly built binary: it makes the example repository,
// starts the daemon on it, waits for both stacks to be planned and their
// apply runs opened, prints the next steps with those runs' ids, and (with
// EXAMPLE_STOP=1) stops it again, removing its pid file.
func TestQuickstartExample(t *testing.T) {
	env := tftest.Setup(t)
	bin := buildDriftgate(t)
	work := t.TempDir()
	cmd := exec.Command(filepath.Join(moduleRoot(t), "examples", "quickstart", "run.sh"), bin, env.MirrorDir)
	cmd.Env = append(env.Environ(), "EXAMPLE_DIR="+work, "EXAMPLE_ADDR="+freeAddr(t), "EXAMPLE_STOP=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("run.sh: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		"2 stacks, 3 directories",
		"2 of 2 stacks affected",
		"quickstart/network",
		"quickstart/app",
		"planned",
		"stopping the daemon",
		"Web UI: http://",
		"Sign in with the API token in " + work + "/token",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("example output lacks %q", want)
		}
	}
	// What to try next names the real apply runs, never a placeholder.
	if !regexp.MustCompile(`driftgate approve [0-9A-Z]{26} --comment "first apply"`).MatchString(text) {
		t.Error("the next steps lack the app stack's apply run id")
	}
	if !regexp.MustCompile(`driftgate approve [0-9A-Z]{26} && driftgate wait [0-9A-Z]{26}`).MatchString(text) {
		t.Error("the next steps lack the network stack's apply run id")
	}
	if strings.Contains(text, "APPLY_RUN") {
		t.Error("the next steps print an APPLY_RUN placeholder")
	}
	if _, err := os.Stat(filepath.Join(work, "driftgate.pid")); !os.IsNotExist(err) {
		t.Errorf("the pid file stays after the daemon stopped: %v", err)
	}
	if strings.Contains(text, "quickstart-not-a-real-secret") {
		t.Error("the example's secret reached the output")
	}
	if _, err := os.Stat(filepath.Join(work, "data", "driftgate.db")); err != nil {
		t.Errorf("no store: %v", err)
	}
	if t.Failed() {
		t.Logf("output:\n%s", text)
	}
}
