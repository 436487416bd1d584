package planner

import (
	"testing"

	"github.com/driftgate/driftgate/test/repogen"
)

// generateRepo writes a synthetic repo (see repogen.Generate).
func generateRepo(tb testing.TB, dir string, stacks, modules int) {
	tb.Helper()
	if err := repogen.Generate(dir, stacks, modules); err != nil {
		tb.Fatal(err)
	}
}

func genModuleDir(i int) string { return repogen.ModuleDir(i) }

func genStackDir(i int) string { return repogen.StackDir(i) }

func TestGeneratedRepo(t *testing.T) {
	dir := t.TempDir()
	generateRepo(t, dir, 100, 20)
	d := discoverDir(t, dir)
	if len(d.Stacks) != 100 || len(d.Modules) != 120 || len(d.Problems) != 0 {
		t.Fatalf("stacks=%d modules=%d problems=%v; want 100, 120, none", len(d.Stacks), len(d.Modules), d.Problems)
	}
	for _, s := range d.Stacks {
		if s.Backend != "s3" || len(s.Modules) < 2 || len(s.Providers) != 2 {
			t.Fatalf("stack %s: backend=%q modules=%v providers=%v", s.Name, s.Backend, s.Modules, s.Providers)
		}
	}
}
