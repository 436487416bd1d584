package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/gittest"
	"github.com/driftgate/driftgate/test/tftest"
)

// TestSetPushIsPlannedForItsStacks is the CI handoff end to end: the
// daemon watches a bare remote, driftgate set pushes a new image tag to
// one stack's tfvars file, and the daemon plans that commit for exactly
// that stack. A re-run of the same set pushes nothing.
func TestSetPushIsPlannedForItsStacks(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	env := tftest.Setup(t)
	bin := buildDriftgate(t)
	up := gittest.New(t, map[string]string{
		"stacks/a/main.tf":         stackTF("a", "variable \"image_tag\" {\n  type = string\n}\n"),
		"stacks/a/app.auto.tfvars": "# written by CI\nimage_tag = \"v1\"\n",
		"stacks/b/main.tf":         stackTF("b", ""),
		"modules/shared/main.tf":   sharedModule,
	})
	bare := filepath.Join(t.TempDir(), "infra.git")
	if _, err := git.PlainClone(bare, true, &git.CloneOptions{URL: up.Dir}); err != nil {
		t.Fatal(err)
	}
	first := up.Head()

	work := t.TempDir()
	config := filepath.Join(work, "driftgate.hcl")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`
data_dir          = %q
listen            = %q
max_parallel_runs = 1
%s

repo "infra" {
  url           = %q
  branch        = "main"
  poll_interval = "1s"
}
`, filepath.Join(work, "data"), freeAddr(t), terraformBlock(env), bare)), 0o644); err != nil {
		t.Fatal(err)
	}
	d := newDaemon(t, env, bin, config, "DGTEST_ROOT="+filepath.Join(work, "objects"))
	d.start()
	d.waitRuns("initial plans", 2*time.Minute, func(r []store.Run) bool { return finished(r, first, "stacks/a", "stacks/b") })

	set := func(args ...string) (string, error) {
		cmd := exec.Command(bin, append([]string{"set", bare, "--file", "stacks/a/app.auto.tfvars", "--author", "CI <ci@example.com>"}, args...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := set("--var", "image_tag=v2"); err != nil {
		t.Fatalf("driftgate set: %v\n%s", err, out)
	}
	head := remoteHead(t, bare)
	if head == first {
		t.Fatal("set pushed nothing")
	}
	d.waitRuns("the pushed commit planned", 2*time.Minute, func(r []store.Run) bool { return finished(r, head, "stacks/a") })
	// finished wants exactly stacks/a; give stacks/b a moment to show up
	// if it were (wrongly) queued.
	time.Sleep(2 * time.Second)
	runs := d.runs()
	if got := atCommit(runs, head); len(got) != 1 || got["stacks/a"].Status != store.StatusPlanned {
		t.Errorf("runs of the pushed commit:\n%s", describe(runs))
	}

	// The same CI job again: no commit, nothing planned.
	out, err := set("--var", "image_tag=v2")
	if err != nil || !strings.Contains(out, "already set") {
		t.Errorf("re-run: %v\n%s", err, out)
	}
	if again := remoteHead(t, bare); again != head {
		t.Errorf("re-run pushed %s", again)
	}
}

// remoteHead is the head of main in the bare repository.
func remoteHead(t *testing.T, bare string) string {
	t.Helper()
	repo, err := git.PlainOpen(bare)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := repo.Reference(plumbing.NewBranchReferenceName("main"), true)
	if err != nil {
		t.Fatal(err)
	}
	return ref.Hash().String()
}
