package tfrun

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// snapshot maps every file under dir to its content hash and modification
// time (and every directory and link to what it is), to prove a run left
// dir as it found it.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.IsDir():
			out[rel] = "dir" // its mtime moves: terraform's lock info file comes and goes
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			out[rel] = "link " + target
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(raw)
		out[rel] = hex.EncodeToString(sum[:]) + " " + info.ModTime().String()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPlanDirState plans against the state terraform itself keeps in a
// stack's directory (RunDir), as `driftgate plan DIR` does: what terraform applied
// there plans as no changes, a workspace only terraform.tfstate.d has is
// used, a missing one is an error, and nothing in the directory changes.
func TestPlanDirState(t *testing.T) {
	h := newHarness(t)
	h.write(t, map[string]string{
		"web/main.tf": h.stack(`
resource "dgtest_server" "web" {
  name = "web-${terraform.workspace}"
  size = "small"
}
`),
		"fresh/main.tf": h.stack(`resource "dgtest_server" "fresh" { name = "fresh" }`),
	})
	dir := filepath.Join(h.src, "web")
	h.env.Terraform(t, dir, "init", "-input=false")
	h.env.Terraform(t, dir, "apply", "-auto-approve", "-input=false")
	h.env.Terraform(t, dir, "workspace", "new", "staging")
	h.env.Terraform(t, dir, "apply", "-auto-approve", "-input=false")
	h.env.Terraform(t, dir, "workspace", "select", "default")

	plan := func(stackDir, workspace string) (*PlanResult, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		return h.planner.Plan(ctx, StackPlan{
			Source:    os.DirFS(h.src),
			Layout:    Layout{Dir: stackDir},
			Key:       "local/" + stackDir,
			RunDir:    filepath.Join(h.src, stackDir),
			Workspace: workspace,
		})
	}
	before := snapshot(t, h.src)
	for _, ws := range []string{"", "staging"} {
		res, err := plan("web", ws)
		if err != nil {
			t.Fatalf("plan workspace %q: %v\n%s", ws, err, res.logOrEmpty())
		}
		if res.HasChanges {
			t.Errorf("workspace %q: want no changes against the directory's state, got %+v", ws, res.Analysis.Summary)
		}
	}

	// terraform plan there would fail for a workspace that does not exist;
	// creating it would write terraform.tfstate.d/prod.
	_, err := plan("web", "prod")
	if !errors.Is(err, ErrNoWorkspace) {
		t.Errorf("missing workspace: err = %v, want ErrNoWorkspace", err)
	}

	// A directory terraform never ran in plans everything as new and gets
	// no terraform.tfstate.
	res, err := plan("fresh", "")
	if err != nil {
		t.Fatalf("plan fresh: %v\n%s", err, res.logOrEmpty())
	}
	if res.Analysis.Summary.Add != 1 {
		t.Errorf("fresh: want one add, got %+v", res.Analysis.Summary)
	}

	if after := snapshot(t, h.src); !reflect.DeepEqual(before, after) {
		t.Errorf("the plans changed the stack directories:\nbefore %v\nafter  %v", before, after)
	}
}
