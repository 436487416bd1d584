package api

import (
	"context"
	"errors"
	"io"
	"net/http"
)

// Backuper writes a consistent copy of the daemon's database; *store.Store
// is one.
type Backuper interface {
	Backup(ctx context.Context, w io.Writer) (int64, error)
}

// WithBackup makes NewHandler serve a consistent copy of the database made
// by b at GET /api/v1/backup, to admins: the daemon holds the database
// file's lock, so `driftgate store backup` asks it for the copy. Without it
// the route answers 404.
func WithBackup(b Backuper) Option {
	return func(s *server) { s.backup = b }
}

// WithoutBackup makes NewHandler answer GET /api/v1/backup with 501 Not
// Implemented and why: for a server whose store is not a file the API can
// copy (PostgreSQL, backed up with pg_dump).
func WithoutBackup(why string) Option {
	return func(s *server) { s.backup = noBackup(why) }
}

// noBackup is the Backuper of WithoutBackup: it says why there is none.
type noBackup string

// Backup fails with why.
func (n noBackup) Backup(context.Context, io.Writer) (int64, error) {
	return 0, errors.New(string(n))
}

// getBackup streams the copy. A failure after the first byte can no longer
// change the status; the client checks the copy it receives, which finds a
// copy cut short.
func (s *server) getBackup(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQuery("/api/v1/backup", r.URL.RawQuery, nil); err != nil {
		return err
	}
	if s.backup == nil {
		return &problem{status: http.StatusNotFound, msg: "this driftgate server serves no backups"}
	}
	if why, ok := s.backup.(noBackup); ok {
		return &problem{status: http.StatusNotImplemented, msg: string(why)}
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="driftgate.db"`)
	if _, err := s.backup.Backup(r.Context(), w); err != nil {
		s.logger.Error("backup failed while streaming", logErr, err.Error())
	}
	return nil
}
