package tfrun

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Terraform's local backend creates state files, their backups and
// workspace dirs with the process umask (0644, 0755). State holds secrets
// in the clear, so driftgate's default backend keeps it owner-only: the
// state dir is created 0700 (SetDefaultBackend), and every run of a stack
// on that backend tightens what terraform created in it, before terraform
// starts and when it is done.
const (
	stateFileMode = 0o600
	stateDirMode  = 0o700
)

// protectState makes every file under dir 0600 and every directory 0700.
// A dir that does not exist yet is fine.
func protectState(dir string) error {
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return chmodIfNot(p, d, stateDirMode)
		case d.Type().IsRegular():
			return chmodIfNot(p, d, stateFileMode)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("protect state in %s: %w", dir, err)
	}
	return nil
}

func chmodIfNot(p string, d fs.DirEntry, mode fs.FileMode) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	if info.Mode().Perm() == mode {
		return nil
	}
	return os.Chmod(p, mode)
}

// noDefaultState reports that sp is on driftgate's default backend and its
// workspace has no state file yet, so `terraform state pull` would print
// nothing.
func (p *Planner) noDefaultState(sp StackPlan) bool {
	if sp.Backend != "" || sp.Key == "" || sp.State != nil || sp.RunDir != "" {
		return false
	}
	_, err := os.Lstat(p.DefaultState(sp.Key).WorkspacePath(sp.Workspace))
	return errors.Is(err, fs.ErrNotExist)
}
