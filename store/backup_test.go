package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestBackupWhileWriting backs up a store that another goroutine keeps
// writing to, then restores the copy into a new data dir and checks it.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, Options{})
	for i := range 200 {
		createRun(t, s, Run{Repo: "infra", Stack: fmt.Sprintf("s%d", i%7), Operation: "plan", Status: StatusPlanned})
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			r := Run{Repo: "infra", Stack: fmt.Sprintf("s%d", i%7), Operation: "plan"}
			if _, err := s.Enqueue(ctx, &r, keepOthers); err != nil {
				t.Error(err)
				return
			}
		}
	})
	dst := filepath.Join(t.TempDir(), "backup.db")
	rep, err := SaveBackup(ctx, dst, func(w io.Writer) error {
		_, err := s.Backup(ctx, w)
		return err
	})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("SaveBackup: %v", err)
	}
	if len(rep.Problems) > 0 || rep.Runs < 200 {
		t.Fatalf("backup report = %+v, want at least 200 runs and no problems", rep)
	}

	// Restore: the copy becomes driftgate.db of a data dir.
	restored := t.TempDir()
	data, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, DBFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	r := openTestStore2(t, restored)
	runs, _, err := r.ListRuns(ctx, RunFilter{Limit: MaxListLimit})
	if err != nil || len(runs) < 200 {
		t.Errorf("restored ListRuns = %d runs, %v; want at least 200", len(runs), err)
	}
}

func TestBackupDir(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	createRun(t, s, Run{Stack: "net", Status: StatusPlanned})
	if _, err := BackupDir(ctx, dir, io.Discard, 50*time.Millisecond); !errors.Is(err, ErrLocked) {
		t.Errorf("BackupDir of a held data dir: %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "b.db")
	rep, err := SaveBackup(ctx, dst, func(w io.Writer) error {
		_, err := BackupDir(ctx, dir, w, time.Second)
		return err
	})
	if err != nil || rep.Runs != 1 || len(rep.Problems) > 0 {
		t.Errorf("SaveBackup(BackupDir) = %+v, %v; want 1 run, no problems", rep, err)
	}
	if _, err := BackupDir(ctx, t.TempDir(), io.Discard, time.Second); !errors.Is(err, ErrNoDatabase) {
		t.Errorf("BackupDir of an empty dir: %v, want ErrNoDatabase", err)
	}
}

// TestSaveBackupRefusesPartialCopy: a copy cut short in transit is not
// saved.
func TestSaveBackupRefusesPartialCopy(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, Options{})
	for range 300 {
		createRun(t, s, Run{Stack: "net", Status: StatusPlanned, Error: "some text to fill pages"})
	}
	dst := filepath.Join(t.TempDir(), "b.db")
	_, err := SaveBackup(ctx, dst, func(w io.Writer) error {
		pr, pw := io.Pipe()
		go func() { _, err := s.Backup(ctx, pw); pw.CloseWithError(err) }()
		_, err := io.CopyN(w, pr, 3*4096)
		pr.Close()
		return err
	})
	if !errors.Is(err, ErrDamaged) {
		t.Errorf("SaveBackup of a partial copy: %v, want ErrDamaged", err)
	}
	for _, p := range []string{dst, dst + ".tmp"} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists after a refused backup", p)
		}
	}
}
