package tfrun

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeTerraformEnv makes the test binary act as terraform (see TestMain):
// its value says how.
const fakeTerraformEnv = "DRIFTGATE_FAKE_TERRAFORM"

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeTerraformEnv); mode != "" {
		os.Exit(fakeTerraform(mode))
	}
	os.Exit(m.Run())
}

// fakeTerraform is the test binary run as terraform. It answers; what
// driftgate makes of the answer is what the tests check.
func fakeTerraform(mode string) int {
	switch mode {
	case "fail":
		fmt.Println("planning...")
		fmt.Fprintln(os.Stderr, "Error: boom")
		fmt.Fprint(os.Stderr, "  on main.tf line 1")
		return 1
	case "changes":
		fmt.Println("Plan: 1 to add")
		return 2
	case "env", "versioned-env":
		if mode == "versioned-env" && len(os.Args) > 1 && os.Args[1] == "version" {
			// What terraform-exec asks a handle's binary first.
			fmt.Println(`{"terraform_version": "1.11.0", "platform": "linux_amd64", "provider_selections": {}, "terraform_outdated": false}`)
			return 0
		}
		for _, kv := range os.Environ() {
			fmt.Println(kv)
		}
		fmt.Println("args=" + strings.Join(os.Args[1:], " "))
		return 0
	case "partial":
		// One line in three writes, then one without a newline.
		for _, s := range []string{"one ", "line\ntw", "o"} {
			os.Stdout.WriteString(s)
			time.Sleep(20 * time.Millisecond)
		}
		return 0
	case "child":
		// A provider that outlives a killed terraform: it ignores SIGINT
		// and holds terraform's stdout.
		signal.Ignore(os.Interrupt)
		time.Sleep(time.Hour)
		return 0
	case "interruptible", "stubborn", "stubborn-with-child":
		if mode == "stubborn-with-child" {
			child := exec.Command(os.Args[0])
			child.Env = append(os.Environ(), fakeTerraformEnv+"=child")
			child.Stdout = os.Stdout
			if err := child.Start(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 3
			}
			fmt.Printf("child %d\n", child.Process.Pid)
			mode = "stubborn"
		}
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, os.Interrupt)
		fmt.Println("ready")
		<-sigs
		if mode == "stubborn" {
			fmt.Println("ignoring the interrupt")
			time.Sleep(time.Hour)
		}
		fmt.Println("interrupted, stopping")
		return 1
	}
	fmt.Fprintln(os.Stderr, "fake terraform: unknown mode", mode)
	return 3
}

// fake returns a runner whose terraform is the test binary in mode.
func fake(t *testing.T, mode string, grace time.Duration) *terraform {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	e := &Executor{Grace: grace, Env: map[string]string{fakeTerraformEnv: mode}}
	return e.newTerraform(&Binary{Path: self}, t.TempDir(), "")
}

func TestPlanArgs(t *testing.T) {
	tests := []struct {
		name string
		opts planOptions
		want []string
	}{
		{"saved plan", planOptions{out: "/w/plan.tfplan"},
			[]string{"plan", "-no-color", "-input=false", "-detailed-exitcode", "-lock-timeout=0s", "-out=/w/plan.tfplan", "-lock=true", "-parallelism=10", "-refresh=true"}},
		{"var files, refresh only", planOptions{out: "p", varFiles: []string{"/w/a.tfvars", "/w/b.tfvars"}, refreshOnly: true},
			[]string{"plan", "-no-color", "-input=false", "-detailed-exitcode", "-lock-timeout=0s", "-out=p", "-var-file=/w/a.tfvars", "-var-file=/w/b.tfvars", "-lock=true", "-parallelism=10", "-refresh=true", "-refresh-only"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := planArgs(tt.opts); !slices.Equal(got, tt.want) {
				t.Errorf("planArgs = %q\nwant       %q", got, tt.want)
			}
		})
	}
}

// TestTerraformEnviron checks the environment terraform gets: the
// process's, without what would change terraform's behaviour behind
// driftgate's back, plus the plugin cache, TF_DATA_DIR and the executor's.
func TestTerraformEnviron(t *testing.T) {
	t.Setenv("TF_LOG", "TRACE")
	t.Setenv("TF_LOG_PATH", "/tmp/tf.log")
	t.Setenv("TF_WORKSPACE", "prod")
	t.Setenv("TF_VAR_password", "hunter2")
	t.Setenv("TF_CLI_ARGS_plan", "-destroy")
	t.Setenv("TF_APPEND_USER_AGENT", "acme/1")
	t.Setenv("KEEP_ME", "yes")
	e := &Executor{PluginCacheDir: "/cache", Env: map[string]string{"TF_REGISTRY_CLIENT_TIMEOUT": "30"}}
	tf := e.newTerraform(&Binary{Path: "terraform"}, "/w", "/data/tfdata")
	cmd, _ := tf.command(context.Background(), nil, &bytes.Buffer{}, "plan")
	got := map[string]string{}
	for _, kv := range cmd.Env {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = v
	}
	want := map[string]string{
		"KEEP_ME": "yes", "TF_PLUGIN_CACHE_DIR": "/cache", "TF_DATA_DIR": "/data/tfdata",
		"TF_REGISTRY_CLIENT_TIMEOUT": "30", "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1",
		"TF_LOG": "", "TF_LOG_PATH": "", "TF_LOG_CORE": "", "TF_LOG_PROVIDER": "",
		"TF_APPEND_USER_AGENT": "acme/1 driftgate",
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %q (set %v), want %q", k, g, ok, v)
		}
	}
	for _, k := range []string{"TF_WORKSPACE", "TF_VAR_password", "TF_CLI_ARGS_plan"} {
		if v, ok := got[k]; ok {
			t.Errorf("%s = %q reaches terraform", k, v)
		}
	}
	if cmd.Dir != "/w" {
		t.Errorf("dir = %q, want /w", cmd.Dir)
	}
	// A private plugin cache for one command leaves the runner's alone.
	private := tf.withEnv("TF_PLUGIN_CACHE_DIR", "/private")
	if private.env["TF_PLUGIN_CACHE_DIR"] != "/private" || tf.env["TF_PLUGIN_CACHE_DIR"] != "/cache" {
		t.Errorf("withEnv: got %q and %q", private.env["TF_PLUGIN_CACHE_DIR"], tf.env["TF_PLUGIN_CACHE_DIR"])
	}
}

func TestTerraformRunsWithEnv(t *testing.T) {
	tf := fake(t, "env", time.Second)
	var out bytes.Buffer
	if err := tf.run(context.Background(), &out, "show", "-json", "x"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"TF_IN_AUTOMATION=1\n", "args=show -json x\n", fakeTerraformEnv + "=env\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("terraform saw no %q:\n%s", want, out.String())
		}
	}
}

func TestTerraformErrorHasStderr(t *testing.T) {
	tf := fake(t, "fail", time.Second)
	var stdout, stderr syncBuffer
	tf.SetStdout(&stdout)
	tf.SetStderr(&stderr)
	_, err := tf.plan(context.Background(), planOptions{out: "p"})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"exit status 1", "Error: boom", "on main.tf line 1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if IsCanceled(err) {
		t.Errorf("a failure reads as cancelled: %v", err)
	}
	if stdout.String() != "planning...\n" || stderr.String() != "Error: boom\n  on main.tf line 1" {
		t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}

func TestTerraformPlanChanges(t *testing.T) {
	changes, err := fake(t, "changes", time.Second).plan(context.Background(), planOptions{})
	if err != nil || !changes {
		t.Errorf("plan = %v, %v; want changes, no error", changes, err)
	}
}

// writes records each Write it is given.
type writes struct{ got []string }

func (w *writes) Write(p []byte) (int, error) {
	w.got = append(w.got, string(p))
	return len(p), nil
}

// TestTerraformWritesWholeLines checks that the log is written a line at a
// time, as terraform-exec wrote it, however terraform's output arrives.
func TestTerraformWritesWholeLines(t *testing.T) {
	tf := fake(t, "partial", time.Second)
	var w writes
	tf.SetStdout(&w)
	if err := tf.run(context.Background(), nil, "plan"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"one line\n", "two"}; !slices.Equal(w.got, want) {
		t.Errorf("writes = %q, want %q", w.got, want)
	}
}

func TestLineWriter(t *testing.T) {
	tests := []struct {
		in   []string
		want []string
	}{
		{[]string{"a\nb\n"}, []string{"a\n", "b\n"}},
		{[]string{"a", "b", "\nc"}, []string{"ab\n", "c"}},
		{[]string{"\n\n"}, []string{"\n", "\n"}},
		{[]string{"x"}, []string{"x"}},
		{nil, nil},
	}
	for _, tt := range tests {
		var w writes
		lw := &lineWriter{w: &w}
		for _, s := range tt.in {
			if n, err := lw.Write([]byte(s)); n != len(s) || err != nil {
				t.Fatalf("Write(%q) = %d, %v", s, n, err)
			}
		}
		if err := lw.flush(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(w.got, tt.want) {
			t.Errorf("%q: writes = %q, want %q", tt.in, w.got, tt.want)
		}
	}
}

// startFake runs tf in mode until it says it is ready, then returns a
// cancel and where the run's error arrives.
func startFake(t *testing.T, tf *terraform) (context.CancelFunc, *syncBuffer, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var out syncBuffer
	tf.SetStdout(&out)
	done := make(chan error, 1)
	go func() { done <- tf.run(ctx, nil, "plan") }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "ready") {
		if time.Now().After(deadline) {
			t.Fatalf("fake terraform never got ready: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cancel, &out, done
}

// TestTerraformCancelInterrupts checks that cancelling sends SIGINT and
// lets terraform stop by itself, well within the grace period.
func TestTerraformCancelInterrupts(t *testing.T) {
	cancel, out, done := startFake(t, fake(t, "interruptible", time.Minute))
	start := time.Now()
	cancel()
	awaitCanceled(t, done, 45*time.Second, "terraform did not stop on SIGINT")
	if !strings.Contains(out.String(), "interrupted, stopping") {
		t.Errorf("terraform got no SIGINT: %q", out.String())
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("stopping took %s: killed after the grace period, not interrupted", d)
	}
}

// awaitCanceled waits up to within for the run's error on done, which
// must be a cancellation; it fails the test with timeout otherwise.
func awaitCanceled(t *testing.T, done <-chan error, within time.Duration, timeout string) {
	t.Helper()
	select {
	case err := <-done:
		if !IsCanceled(err) {
			t.Errorf("err = %v, want cancellation", err)
		}
	case <-time.After(within):
		t.Fatal(timeout)
	}
}

// TestTerraformCancelKillsAfterGrace checks that terraform that ignores
// SIGINT is killed once the grace period is over, and not before.
func TestTerraformCancelKillsAfterGrace(t *testing.T) {
	const grace = 1500 * time.Millisecond
	cancel, out, done := startFake(t, fake(t, "stubborn", grace))
	start := time.Now()
	cancel()
	awaitCanceled(t, done, 30*time.Second, "terraform was not killed after the grace period")
	if d := time.Since(start); d < grace {
		t.Errorf("killed after %s, before the grace period of %s", d, grace)
	}
	if !strings.Contains(out.String(), "ignoring the interrupt") {
		t.Errorf("terraform got no SIGINT: %q", out.String())
	}
}

// TestTerraformKillTakesItsProviders: when terraform is killed after the
// grace period, the processes it started (its providers) die with it
// rather than live on.
func TestTerraformKillTakesItsProviders(t *testing.T) {
	const grace = time.Second
	cancel, out, done := startFake(t, fake(t, "stubborn-with-child", grace))
	var pid int
	if _, err := fmt.Sscanf(out.String()[strings.Index(out.String(), "child "):], "child %d", &pid); err != nil || pid <= 0 {
		t.Fatalf("no child pid in %q: %v", out.String(), err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	cancel()
	awaitCanceled(t, done, 30*time.Second, "terraform was not killed after the grace period")
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("terraform's child %d still runs after terraform was killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// alive reports whether pid runs (a zombie, killed but not yet reaped by
// whoever adopted it, does not).
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	rest := string(stat[bytes.LastIndexByte(stat, ')')+1:])
	return !strings.HasPrefix(strings.TrimSpace(rest), "Z")
}

func TestTerraformCanceledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tf := fake(t, "env", time.Second)
	var out bytes.Buffer
	if err := tf.run(ctx, &out, "plan"); !IsCanceled(err) || out.Len() > 0 {
		t.Errorf("err = %v, output %q; want cancellation and no run", err, out.String())
	}
}

// TestPlanAsksNoVersion checks that a plan runs init, plan and show and
// nothing else: the binary's version is known from the Resolver, so no
// `terraform version` runs per plan (terraform-exec ran one per handle).
func TestPlanAsksNoVersion(t *testing.T) {
	h := newHarness(t)
	real, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("no terraform on PATH")
	}
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	wrapper := filepath.Join(dir, "terraform")
	script := fmt.Sprintf("#!/bin/sh\necho \"$1\" >> %q\nexec %q \"$@\"\n", calls, real)
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	h.planner.Resolver.Path = wrapper
	if _, err := h.planner.Resolver.Resolve(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(calls); err != nil { // the Resolver's one question
		t.Fatal(err)
	}
	h.write(t, map[string]string{"app/main.tf": h.stack(`resource "dgtest_server" "a" { name = "a" }`)})
	for i := 0; i < 2; i++ {
		res, err := h.plan(t, "app")
		if err != nil {
			t.Fatalf("plan: %v\n%s", err, res.logOrEmpty())
		}
	}
	raw, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	// The second plan's init is skipped: nothing changed.
	want := []string{"init", "plan", "show", "plan", "show"}
	if got := strings.Fields(string(raw)); !slices.Equal(got, want) {
		t.Errorf("terraform ran %q, want %q", got, want)
	}
}
