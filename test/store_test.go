package test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/gittest"
	"github.com/driftgate/driftgate/test/tftest"
)

// TestDatabaseBackupDamageRestore backs up the database of a running
// daemon, damages the database file the ways a disk or an operator does
// (cut to half, emptied), checks that serve refuses each with what to do
// instead of crashing or starting empty, and restores the backup, in place
// and into a fresh data dir.
func TestDatabaseBackupDamageRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	env := tftest.Setup(t)
	bin := buildDriftgate(t)
	up := gittest.New(t, map[string]string{"stacks/a/main.tf": stackTF("a", "")})
	work := t.TempDir()
	dataDir := filepath.Join(work, "data")
	dbPath := filepath.Join(dataDir, store.DBFile)
	config := filepath.Join(work, "driftgate.hcl")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`
data_dir = %q
listen   = %q
terraform {
  install = false
}
repo "infra" {
  url           = %q
  poll_interval = "1s"
}
`, dataDir, freeAddr(t), up.Dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	d := newDaemon(t, env, bin, config, "DGTEST_ROOT="+filepath.Join(work, "objects"))
	cli := func(args ...string) (int, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = d.env
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return code, string(out)
	}

	d.start()
	before := d.waitRuns("the initial plan", 2*time.Minute, func(r []store.Run) bool { return finished(r, up.Head(), "stacks/a") })

	backup := filepath.Join(work, "backup.db")
	if code, out := cli("store", "backup", backup, "--config", config); code != 0 || !strings.Contains(out, "from the daemon at") {
		t.Fatalf("store backup while serving: exit %d\n%s", code, out)
	}
	if code, out := cli("store", "check", backup); code != 0 || !strings.Contains(out, "no problems found") {
		t.Errorf("store check of the backup: exit %d\n%s", code, out)
	}
	if code, out := cli("store", "check", "--config", config); code != 1 || !strings.Contains(out, "driftgate store backup FILE") {
		t.Errorf("store check of the held database: exit %d, want 1 and advice\n%s", code, out)
	}
	d.stop(30 * time.Second)
	if code, out := cli("store", "backup", filepath.Join(work, "offline.db"), "--config", config); code != 0 || !strings.Contains(out, "from "+dbPath) {
		t.Errorf("store backup of a stopped daemon: exit %d\n%s", code, out)
	}

	serveRefuses := func(what string, want ...string) {
		t.Helper()
		code, out := cli("serve", "--config", config)
		if code == 0 {
			t.Fatalf("serve with a database %s: exit 0\n%s", what, out)
		}
		for _, w := range append(want, dbPath) {
			if !strings.Contains(out, w) {
				t.Errorf("serve with a database %s: output lacks %q\n%s", what, w, out)
			}
		}
		for _, crash := range []string{"panic", "SIGBUS", "goroutine "} {
			if strings.Contains(out, crash) {
				t.Errorf("serve with a database %s crashed:\n%s", what, out)
			}
		}
	}
	fi, err := os.Stat(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(dbPath, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	serveRefuses("cut to half", "damaged", "driftgate store check", "backup")
	if code, out := cli("store", "check", "--config", config); code != 1 || !strings.Contains(out, "damaged") {
		t.Errorf("store check of the truncated database: exit %d\n%s", code, out)
	}
	if err := os.Truncate(dbPath, 0); err != nil {
		t.Fatal(err)
	}
	serveRefuses("emptied", "driftgate store init", "backup")
	if fi, err := os.Stat(dbPath); err != nil || fi.Size() != 0 {
		t.Errorf("refused serve changed the emptied database: %v, %v", fi, err)
	}

	// Restore: copy the backup over the file, with the daemon stopped.
	raw, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dbPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	d.start()
	after := d.runs()
	for _, r := range before {
		if !containsRun(after, r.ID) {
			t.Errorf("run %s (%s) is missing after the restore", r.ID, r.Stack)
		}
	}
	d.stop(30 * time.Second)

	// The backup restored into a fresh data dir (a new machine) serves the
	// same history.
	fresh := filepath.Join(work, "fresh")
	if err := os.MkdirAll(fresh, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fresh, store.DBFile), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	config2 := filepath.Join(work, "fresh.hcl")
	if err := os.WriteFile(config2, []byte(fmt.Sprintf(`
data_dir = %q
listen   = %q
terraform {
  install = false
}
repo "infra" {
  url           = %q
  poll_interval = "1s"
}
`, fresh, freeAddr(t), up.Dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	d2 := newDaemon(t, env, bin, config2, "DGTEST_ROOT="+filepath.Join(work, "objects"))
	d2.start()
	moved := d2.runs()
	for _, r := range before {
		if !containsRun(moved, r.ID) {
			t.Errorf("run %s (%s) is missing in the fresh data dir", r.ID, r.Stack)
		}
	}
	d2.stop(30 * time.Second)

	// Starting over is explicit.
	if err := os.Remove(dbPath); err != nil {
		t.Fatal(err)
	}
	serveRefuses("missing", "driftgate store init")
	if code, out := cli("store", "init", "--config", config); code != 0 {
		t.Fatalf("store init: exit %d\n%s", code, out)
	}
	if code, out := cli("store", "init", "--config", config); code != 1 || !strings.Contains(out, "already holds a database") {
		t.Errorf("second store init: exit %d\n%s", code, out)
	}
	d.start()
	d.stop(30 * time.Second)
}

func containsRun(runs []store.Run, id string) bool {
	for _, r := range runs {
		if r.ID == id {
			return true
		}
	}
	return false
}
