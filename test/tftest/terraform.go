package tftest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// cleared lists inherited variables that would redirect Terraform's working
// data away from the test's directories; Environ and Setenv blank them. A
// shared plugin cache in particular would end up linking to another test
// process's mirror, which disappears when that process's directory is swept.
// Pass them in extra to use them deliberately.
var cleared = []string{"TF_DATA_DIR", "TF_PLUGIN_CACHE_DIR", "TF_WORKSPACE"}

// interruptGrace is how long a terraform run gets to exit after SIGINT when
// its test's context ends, before it is killed.
const interruptGrace = 30 * time.Second

// vars returns the variables Environ sets, in order.
func (e *Env) vars() []string {
	return []string{
		"TF_CLI_CONFIG_FILE=" + e.CLIConfigFile,
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
	}
}

// Environ returns os.Environ() with TF_CLI_CONFIG_FILE pointing at the
// mirror configuration (replacing any inherited value), CHECKPOINT_DISABLE=1
// and TF_IN_AUTOMATION=1 set, TF_DATA_DIR, TF_PLUGIN_CACHE_DIR and
// TF_WORKSPACE removed, and then extra ("KEY=value") applied; a key in extra
// overrides the same key set before it.
func (e *Env) Environ(extra ...string) []string {
	return mergeEnv(os.Environ(), cleared, append(e.vars(), extra...))
}

// Setenv applies the same variables as Environ to the test process itself
// with t.Setenv, for code under test that runs terraform in-process.
func (e *Env) Setenv(t *testing.T) {
	t.Helper()
	for _, key := range cleared {
		if _, ok := os.LookupEnv(key); ok {
			t.Setenv(key, "")
		}
	}
	for _, kv := range e.vars() {
		key, value, _ := strings.Cut(kv, "=")
		t.Setenv(key, value)
	}
}

// mergeEnv drops the drop keys and every key that set assigns from base, and
// appends set, keeping only the last assignment of each key.
func mergeEnv(base, drop, set []string) []string {
	last := make(map[string]int, len(set))
	for i, kv := range set {
		key, _, _ := strings.Cut(kv, "=")
		last[key] = i
	}
	out := make([]string, 0, len(base)+len(set))
	for _, kv := range base {
		key, _, _ := strings.Cut(kv, "=")
		if _, ok := last[key]; ok || contains(drop, key) {
			continue
		}
		out = append(out, kv)
	}
	for i, kv := range set {
		key, _, _ := strings.Cut(kv, "=")
		if last[key] == i {
			out = append(out, kv)
		}
	}
	return out
}

// contains reports whether list holds s.
func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Terraform runs terraform with args in dir and returns its stdout. It fails
// the test, showing stdout and stderr interleaved, when terraform exits
// non-zero; use TerraformExit for -detailed-exitcode.
func (e *Env) Terraform(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	res := e.run(tb, dir, args)
	if res.err != nil {
		tb.Fatalf("terraform %s (in %s): %v\n%s", strings.Join(args, " "), dir, res.err, res.combined)
	}
	return res.stdout
}

// TerraformExit runs terraform with args in dir and returns its stdout and
// exit code. The error is nil only for exit code 0; otherwise it carries
// terraform's stderr and wraps *exec.ExitError, or, with exit code -1, says
// why terraform could not run or finish. With -detailed-exitcode, check the
// code before the error: 2 means success with changes.
func (e *Env) TerraformExit(tb testing.TB, dir string, args ...string) (stdout string, exitCode int, err error) {
	tb.Helper()
	res := e.run(tb, dir, args)
	if res.err != nil {
		err = fmt.Errorf("terraform %s: %w", strings.Join(args, " "), res.err)
		if msg := strings.TrimSpace(res.stderr); msg != "" {
			err = fmt.Errorf("%w\n%s", err, msg)
		}
	}
	return res.stdout, res.code, err
}

// result is the outcome of one terraform run.
type result struct {
	stdout   string
	stderr   string
	combined string
	code     int // -1 when terraform did not run or exit normally
	err      error
}

// run executes terraform; it interrupts (never kills outright) a run whose
// test's context ends.
func (e *Env) run(tb testing.TB, dir string, args []string) result {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	var combined lockedBuffer
	cmd := exec.CommandContext(tb.Context(), e.TerraformPath, args...)
	cmd.Dir = dir
	cmd.Env = e.Environ()
	cmd.Stdout = io.MultiWriter(&stdout, &combined)
	cmd.Stderr = io.MultiWriter(&stderr, &combined)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = interruptGrace
	err := cmd.Run()
	return result{
		stdout:   stdout.String(),
		stderr:   stderr.String(),
		combined: combined.String(),
		code:     cmd.ProcessState.ExitCode(), // -1 for a nil ProcessState
		err:      err,
	}
}

// lockedBuffer is a bytes.Buffer safe for the two goroutines that copy a
// command's stdout and stderr.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
