package tfrun

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// A run's copy lives in <data_dir>/work/run-*, and holds what the run
// holds: var files with secrets, an apply's plan file. A run locks its dir
// (flock, released when the process dies) for as long as it lasts, so that
// RemoveStaleWorkdirs can tell the dirs of live runs, in this process or
// another sharing the data dir, from those a killed process left behind.
const (
	workDirName    = "work"
	runDirPrefix   = "run-"
	runLockFile    = ".driftgate.lock"
	keptMarkerFile = ".driftgate-kept"
	// unlockedGrace spares a run dir without a lock file this young: its
	// run may be between creating it and locking it.
	unlockedGrace = time.Minute
)

// newRunDir creates and locks a run dir under dataDir/work. release
// unlocks it; the caller removes the dir (or, kept for debugging, marks it
// with keepRunDir first).
func newRunDir(ctx context.Context, dataDir string) (root string, release func(), err error) {
	work := filepath.Join(dataDir, workDirName)
	if err := os.MkdirAll(work, 0o700); err != nil {
		return "", nil, fmt.Errorf("create work dir: %w", err)
	}
	root, err = os.MkdirTemp(work, runDirPrefix)
	if err != nil {
		return "", nil, fmt.Errorf("create work dir: %w", err)
	}
	release, err = lockDir(ctx, root)
	if err != nil {
		_ = os.RemoveAll(root)
		return "", nil, fmt.Errorf("lock work dir: %w", err)
	}
	return root, release, nil
}

// keepRunDir marks a run dir kept on purpose (Planner.KeepWorkdirs), so
// RemoveStaleWorkdirs leaves it.
func keepRunDir(root string) error {
	return os.WriteFile(filepath.Join(root, keptMarkerFile), nil, 0o600)
}

// RemoveStaleWorkdirs removes the run dirs under dataDir/work that no
// live run holds: those of runs whose process was killed (kill -9, a
// crash, a power cut) before it could clean up. Dirs kept on purpose
// (Planner.KeepWorkdirs) stay. It returns the dirs removed.
func RemoveStaleWorkdirs(dataDir string) ([]string, error) {
	work := filepath.Join(dataDir, workDirName)
	entries, err := os.ReadDir(work)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read work dir: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), runDirPrefix) {
			continue
		}
		dir := filepath.Join(work, e.Name())
		ok, err := removeIfStale(dir)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			removed = append(removed, dir)
		}
	}
	return removed, errors.Join(errs...)
}

// removeIfStale removes dir when no run holds its lock.
func removeIfStale(dir string) (bool, error) {
	if _, err := os.Stat(filepath.Join(dir, keptMarkerFile)); err == nil {
		return false, nil
	}
	f, err := os.OpenFile(filepath.Join(dir, runLockFile), os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		st, err := os.Stat(dir)
		if err != nil || time.Since(st.ModTime()) < unlockedGrace {
			return false, nil
		}
		return true, removeRunDir(dir)
	}
	if err != nil {
		return false, fmt.Errorf("stale work dir %s: %w", dir, err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, nil // a live run
		}
		return false, fmt.Errorf("stale work dir %s: %w", dir, err)
	}
	return true, removeRunDir(dir)
}

func removeRunDir(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove stale work dir: %w", err)
	}
	return nil
}
