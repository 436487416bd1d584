package tfrun

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLocalStateFilesPrivate applies twice through driftgate, in the
// default and in another workspace, with the default backend, and checks
// that every state file (and its backup) is readable by the owner only,
// and every directory holding them closed to others.
func TestLocalStateFilesPrivate(t *testing.T) {
	h := newHarness(t)
	for _, ws := range []string{"", "prod"} {
		for _, size := range []string{"small", "large"} {
			h.write(t, map[string]string{"web/main.tf": h.stack(`resource "dgtest_server" "web" {
  name = "web-` + ws + `"
  size = "` + size + `"
}`)})
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			sp := StackPlan{Source: os.DirFS(h.src), Layout: Layout{Dir: "web"}, Key: "test/web", Workspace: ws}
			res, err := h.planner.Plan(ctx, sp)
			if err != nil {
				cancel()
				t.Fatalf("plan: %v\n%s", err, res.logOrEmpty())
			}
			ar, err := h.planner.Apply(ctx, StackApply{StackPlan: sp, PlanFile: res.PlanFile})
			cancel()
			if err != nil {
				t.Fatalf("apply: %v\n%s", err, ar.Log)
			}
		}
	}
	stateDir := filepath.Dir(h.planner.StatePath("test/web"))
	var files int
	err := filepath.WalkDir(filepath.Join(h.planner.DataDir, "state"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			if perm := info.Mode().Perm(); perm&0o077 != 0 {
				t.Errorf("dir %s is %o, want no access for others", p, perm)
			}
			return nil
		}
		files++
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s is %o, want 600", p, perm)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		filepath.Join(stateDir, "terraform.tfstate"),
		filepath.Join(stateDir, "terraform.tfstate.backup"),
		filepath.Join(stateDir, "workspaces", "prod", "terraform.tfstate"),
	} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("expected state file: %v", err)
		}
	}
	if files < 3 {
		t.Errorf("%d state files checked", files)
	}
}

// TestPullStateNoDefaultStateRunsNoTerraform pulls the state of a stack on
// the default backend that was never applied, with a terraform that cannot
// run: there is nothing to pull, so nothing runs. Once a state file
// exists, terraform is asked again.
func TestPullStateNoDefaultStateRunsNoTerraform(t *testing.T) {
	h := newHarness(t)
	h.write(t, map[string]string{"new/main.tf": h.stack(`resource "dgtest_server" "web" { name = "web" }`)})
	h.planner.Resolver = &Resolver{Path: filepath.Join(t.TempDir(), "no-terraform")}
	for _, ws := range []string{"", "staging"} {
		sp := StackPlan{Source: os.DirFS(h.src), Layout: Layout{Dir: "new"}, Key: "test/new", Workspace: ws}
		ps, err := h.planner.PullState(context.Background(), sp)
		if err != nil || !ps.Empty {
			t.Errorf("workspace %q: %+v, %v; want an empty state and no terraform", ws, ps, err)
		}
	}
	state := h.planner.StatePath("test/new")
	if err := os.MkdirAll(filepath.Dir(state), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(state, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	sp := StackPlan{Source: os.DirFS(h.src), Layout: Layout{Dir: "new"}, Key: "test/new"}
	if _, err := h.planner.PullState(context.Background(), sp); err == nil {
		t.Error("a state file exists, yet terraform was not asked to pull it")
	}
}
