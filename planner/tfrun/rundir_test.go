package tfrun

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRemoveStaleWorkdirs makes run dirs the way runs do: one whose run is
// still going, one whose run died without cleaning up (its lock released,
// as the kernel does on kill -9), one kept for debugging, and an old one
// from before run dirs were locked. Only the dead and the old go.
func TestRemoveStaleWorkdirs(t *testing.T) {
	h := newHarness(t)
	h.write(t, map[string]string{"web/main.tf": h.stack(""), "web/prod.tfvars": `secret = "s3cret"`})
	sp := StackPlan{Source: os.DirFS(h.src), Layout: Layout{Dir: "web", VarFiles: []string{"web/prod.tfvars"}}, Key: "test/web"}
	live, liveCleanup, err := h.planner.workdir(context.Background(), sp)
	if err != nil {
		t.Fatal(err)
	}
	defer liveCleanup()
	dead, release, err := newRunDir(context.Background(), h.planner.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dead, "plan.tfplan"), []byte("plan"), 0o600); err != nil {
		t.Fatal(err)
	}
	release()
	h.planner.KeepWorkdirs = true
	kept, keptCleanup, err := h.planner.workdir(context.Background(), sp)
	if err != nil {
		t.Fatal(err)
	}
	keptCleanup()
	old := filepath.Join(h.planner.DataDir, "work", "run-old")
	if err := os.MkdirAll(old, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(old, unlockedAge(), unlockedAge()); err != nil {
		t.Fatal(err)
	}

	removed, err := RemoveStaleWorkdirs(h.planner.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2 {
		t.Errorf("removed %q, want the dead run's and the old dir", removed)
	}
	for _, tt := range []struct {
		dir  string
		gone bool
	}{{live.Root, false}, {dead, true}, {kept.Root, false}, {old, true}} {
		_, err := os.Stat(tt.dir)
		if gone := os.IsNotExist(err); gone != tt.gone {
			t.Errorf("%s: removed = %v, want %v", tt.dir, gone, tt.gone)
		}
	}
	if _, err := os.Stat(live.VarFiles[0]); err != nil {
		t.Errorf("live run's var file: %v", err)
	}
}

func unlockedAge() time.Time { return time.Now().Add(-2 * unlockedGrace) }
