package tfrun

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
	"time"

	"github.com/hashicorp/go-version"
)

func TestShareOf(t *testing.T) {
	tests := []struct{ cpus, runs, want int }{
		{2, 0, 2}, // a command outside a run: the whole machine
		{2, 1, 2},
		{2, 2, 1},
		{2, 5, 1},
		{8, 3, 3}, // each run gets its part, rounded up
		{8, 4, 2},
		{1, 1, 1},
	}
	for _, tt := range tests {
		if got := shareOf(tt.cpus, tt.runs); got != tt.want {
			t.Errorf("shareOf(%d cpus, %d runs) = %d, want %d", tt.cpus, tt.runs, got, tt.want)
		}
	}
}

// withCPUs makes driftgate's own GOMAXPROCS n for the test.
func withCPUs(t *testing.T, n int) {
	prev := runtime.GOMAXPROCS(n)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
}

var gomaxprocsLine = regexp.MustCompile(`(?m)^GOMAXPROCS=(.*)$`)

// sawProcs is the GOMAXPROCS the fake terraform printed in out, "" when
// it had none.
func sawProcs(out string) string {
	m := gomaxprocsLine.FindStringSubmatch(out)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestTerraformGetsCPUShare: each terraform command starts with
// GOMAXPROCS set to its run's part of driftgate's CPUs, counted as it
// starts; an operator's GOMAXPROCS reaches terraform unchanged.
func TestTerraformGetsCPUShare(t *testing.T) {
	t.Setenv("GOMAXPROCS", "") // empty is unset, to Go and to driftgate
	withCPUs(t, 4)
	tf := fake(t, "env", time.Second)
	share := tf.share
	show := func() string {
		t.Helper()
		var out syncBuffer
		if err := tf.run(context.Background(), &out, "show"); err != nil {
			t.Fatal(err)
		}
		return sawProcs(out.String())
	}
	if got := show(); got != "4" {
		t.Errorf("no run under way: GOMAXPROCS=%q, want 4", got)
	}
	leaveA := share.join()
	if got := show(); got != "4" {
		t.Errorf("one run: GOMAXPROCS=%q, want 4", got)
	}
	leaveB := share.join()
	leaveC := share.join()
	if got := show(); got != "2" {
		t.Errorf("three runs on 4 CPUs: GOMAXPROCS=%q, want 2", got)
	}
	leaveB()
	leaveC()
	if got := show(); got != "4" {
		t.Errorf("back to one run: GOMAXPROCS=%q, want 4", got)
	}
	leaveA()

	t.Setenv("GOMAXPROCS", "3")
	own := fake(t, "env", time.Second)
	defer own.share.join()()
	defer own.share.join()()
	var out syncBuffer
	if err := own.run(context.Background(), &out, "show"); err != nil {
		t.Fatal(err)
	}
	if got := sawProcs(out.String()); got != "3" {
		t.Errorf("operator's GOMAXPROCS=3: terraform got %q", got)
	}
}

// TestPlanCountsItsRun: the commands of a plan count the plan itself, as
// those of a state pull count the pull, and a terraform-exec handle
// (apply, state pull) gets the share as it is made.
func TestPlanCountsItsRun(t *testing.T) {
	t.Setenv("GOMAXPROCS", "")
	withCPUs(t, 4)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e := &Executor{Env: map[string]string{fakeTerraformEnv: "env"}}
	defer e.share.join()() // another run under way
	res, _ := e.Plan(context.Background(), PlanRequest{
		Binary:  &Binary{Path: self, Version: version.Must(version.NewVersion("1.11.0"))},
		Workdir: &Workdir{Root: dir, Src: dir, StackDir: dir, PlanFile: filepath.Join(dir, "plan.tfplan")},
	})
	if res == nil {
		t.Fatal("no result")
	}
	if got := sawProcs(string(res.Log)); got != "2" {
		t.Errorf("a plan while another run is under way, 4 CPUs: GOMAXPROCS=%q, want 2\n%s", got, res.Log)
	}
	if got := e.share.runs.Load(); got != 1 {
		t.Errorf("%d runs counted after the plan, want 1", got)
	}
	if got := e.handleEnv()[gomaxprocsVar]; got != "4" {
		t.Errorf("terraform-exec handle with one run under way: GOMAXPROCS=%q, want 4", got)
	}

	// The fake answers terraform-exec's version question, then prints its
	// environment for init (into the log) and for state pull (not a state:
	// the pull fails, which is not what is checked).
	e.Env[fakeTerraformEnv] = "versioned-env"
	var log syncBuffer
	_, _ = e.PullState(context.Background(), StatePullRequest{
		Binary:  &Binary{Path: self, Version: version.Must(version.NewVersion("1.11.0"))},
		Workdir: &Workdir{Root: dir, Src: dir, StackDir: dir},
		Log:     &log,
	})
	if got := sawProcs(log.String()); got != "2" {
		t.Errorf("a state pull's init while another run is under way, 4 CPUs: GOMAXPROCS=%q, want 2\n%s", got, log.String())
	}
}
