package tfrun

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// lockInfoPath returns the file in which Terraform's local backend records
// who holds the lock on the state at statePath: .<name>.lock.info next to
// it (checked against Terraform 1.11, default and named workspaces alike).
func lockInfoPath(statePath string) string {
	return filepath.Join(filepath.Dir(statePath), "."+filepath.Base(statePath)+".lock.info")
}

// readLocalLock returns the lock on the local state at statePath, or nil
// when no lock info file is there.
func readLocalLock(statePath string) (*LockInfo, error) {
	infoPath := lockInfoPath(statePath)
	raw, err := os.ReadFile(infoPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state lock info: %w", err)
	}
	li, err := parseLockInfoFile(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", infoPath, err)
	}
	held, err := stateFileLocked(statePath)
	if err != nil {
		return nil, err
	}
	li.Held = held
	if !held {
		li.Command = "rm " + singleQuote(infoPath)
	}
	return li, nil
}

// lockInfoFile is the JSON of a local lock info file (Terraform's
// statemgr.LockInfo).
type lockInfoFile struct {
	ID        string    `json:"ID"`
	Operation string    `json:"Operation"`
	Info      string    `json:"Info"`
	Who       string    `json:"Who"`
	Version   string    `json:"Version"`
	Created   time.Time `json:"Created"`
	Path      string    `json:"Path"`
}

// parseLockInfoFile reads a local lock info file. It needs at least an ID,
// which is what identifies the lock.
func parseLockInfoFile(raw []byte) (*LockInfo, error) {
	var f lockInfoFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("%w: %w", errBadLockInfo, err)
	}
	if f.ID == "" {
		return nil, fmt.Errorf("%w: no lock ID", errBadLockInfo)
	}
	return &LockInfo{
		ID: f.ID, Path: f.Path, Operation: f.Operation, Who: f.Who,
		Version: f.Version, Created: f.Created, Info: f.Info,
	}, nil
}

// stateFileLocked reports whether another process holds a POSIX record
// lock (fcntl) on statePath, which is how Terraform's local backend locks
// state; the lock dies with its process.
func stateFileLocked(statePath string) (bool, error) {
	f, err := os.Open(statePath)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check state lock: %w", err)
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: 0, Len: 0}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return false, fmt.Errorf("check state lock on %s: %w", statePath, err)
	}
	return lk.Type != syscall.F_UNLCK, nil
}

// singleQuote returns s single-quoted for a POSIX shell.
func singleQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
