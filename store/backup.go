package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Backups are consistent copies made inside one read transaction
// (bbolt's Tx.WriteTo), so they can be taken while the daemon writes: from
// an open Store (Backup, which the API serves to admins) or from a data dir
// no process holds (BackupDir). SaveBackup writes a copy to a file only once
// it is complete, synced and checked. Restoring is copying the file back to
// <data_dir>/driftgate.db while the daemon is stopped (see README).

// Backup writes a consistent copy of the database to w and returns the
// number of bytes written. Writes to the store go on meanwhile.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("back up %s: %w", s.path, err)
	}
	return n, nil
}

// BackupDir writes a consistent copy of the database in the data dir dir
// to w, opening it read-only. It fails with ErrLocked when a process (the
// daemon) holds the file for longer than timeout: ask that process for the
// copy instead (GET /api/v1/backup), and with ErrNoDatabase when there is
// no database.
func BackupDir(ctx context.Context, dir string, w io.Writer, timeout time.Duration) (int64, error) {
	path := filepath.Join(dir, DBFile)
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		return 0, fmt.Errorf("back up %s: %w: the file is missing or empty, nothing to back up", path, ErrNoDatabase)
	}
	db, err := openReadOnly(path, timeout)
	if err != nil {
		return 0, fmt.Errorf("back up %s: %w", path, err)
	}
	defer db.Close()
	var n int64
	err = guarded(func() error {
		return db.View(func(tx *bbolt.Tx) error {
			var err error
			n, err = tx.WriteTo(w)
			return err
		})
	})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return n, fmt.Errorf("back up %s: %w", path, err)
	}
	return n, nil
}

// openReadOnly opens the bbolt file at path read-only after checking that
// it is whole; a lock held for longer than timeout is ErrLocked.
func openReadOnly(path string, timeout time.Duration) (*bbolt.DB, error) {
	if _, _, err := checkBoltFile(path); err != nil {
		return nil, err
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	var db *bbolt.DB
	err := guarded(func() error {
		var err error
		db, err = bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: timeout})
		return err
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%w (waited %s)", ErrLocked, timeout)
	}
	return db, err
}

// SaveBackup writes a backup to the file dst: write sends the copy to a
// temporary file next to dst, which is synced and checked (Check) and only
// then renamed to dst, so dst is never a partial copy. A copy that Check
// cannot read (cut short in transit) fails with ErrDamaged and leaves no
// file. The report lists what Check found in the copy.
func SaveBackup(ctx context.Context, dst string, write func(io.Writer) error) (*CheckReport, error) {
	tmp := dst + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("save backup: %w", err)
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	var rep *CheckReport
	if err == nil {
		rep, err = Check(ctx, tmp, time.Second)
	}
	if err == nil {
		rep.Path = dst
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("save backup %s: %w", dst, err)
	}
	return rep, nil
}
