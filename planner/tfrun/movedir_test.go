package tfrun

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlanAfterDataDirMoved moves a data dir whose init cache holds a
// stack's backend settings for the old location, then plans the stack from
// the new location: the init cache must notice and init again, and the
// state (moved with the data dir) must be the one planned against.
func TestPlanAfterDataDirMoved(t *testing.T) {
	h := newHarness(t)
	h.write(t, map[string]string{"web/main.tf": h.stack(`resource "dgtest_server" "web" { name = "web" }`)})
	h.apply(t, "web")
	if res, err := h.plan(t, "web"); err != nil {
		t.Fatalf("plan: %v\n%s", err, res.logOrEmpty())
	}
	moved := filepath.Join(t.TempDir(), "moved")
	if err := os.Rename(h.planner.DataDir, moved); err != nil {
		t.Fatal(err)
	}
	h.planner.DataDir = moved
	h.planner.Resolver.InstallDir = filepath.Join(moved, "bin")
	h.planner.Executor.PluginCacheDir = filepath.Join(moved, "plugin-cache")
	for i := 0; i < 2; i++ {
		res, err := h.plan(t, "web")
		if err != nil {
			t.Fatalf("plan %d after the data dir moved: %v\n%s", i, err, res.logOrEmpty())
		}
		if res.HasChanges {
			t.Errorf("plan %d after the move has changes (state not found at the new place?):\n%s", i, res.Text)
		}
		if i == 0 && strings.Contains(string(res.Log), "init (skipped") {
			t.Errorf("first plan after the move skipped init:\n%s", res.Log)
		}
	}
}
