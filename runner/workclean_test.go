package runner

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/driftgate/driftgate/runner/api"
)

// TestDaemonStartRemovesStaleWorkdirs lays out what a driftgate killed
// with -9 leaves in its data dir (run copies holding a var file with a
// secret and a saved plan, their locks released by the kernel), next to the
// copy of a run another live process sharing the data dir holds, and
// starts the daemon: the dead runs' copies go, the live one stays.
func TestDaemonStartRemovesStaleWorkdirs(t *testing.T) {
	dataDir := t.TempDir()
	work := filepath.Join(dataDir, "work")
	mk := func(name string, files ...string) string {
		t.Helper()
		dir := filepath.Join(work, name)
		for _, f := range append(files, ".driftgate.lock") {
			p := filepath.Join(dir, f)
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	secret := mk("run-111", "src/stack/prod.tfvars")
	planned := mk("run-222", "plan.tfplan")
	live := mk("run-333", "src/stack/main.tf")
	f, err := os.OpenFile(filepath.Join(live, ".driftgate.lock"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}

	d, err := New(Config{DataDir: dataDir, Listen: "127.0.0.1:0", MaxParallelRuns: 2, Auth: api.StaticToken("t")},
		openStore(t), newFakeTerraform(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	for deadline := time.Now().Add(30 * time.Second); !d.ready.Load(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("daemon did not start")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("daemon: %v", err)
	}
	for _, dir := range []string{secret, planned} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s left behind by a killed run still exists (%v)", dir, err)
		}
	}
	if _, err := os.Stat(filepath.Join(live, "src", "stack", "main.tf")); err != nil {
		t.Errorf("the live run's copy was removed: %v", err)
	}
}
