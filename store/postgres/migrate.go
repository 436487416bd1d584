package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/driftgate/driftgate/store"
)

// Schema migrations are the files migrations/NNNN_name.sql, applied in
// order, each in its own transaction with the row that records it in
// driftgate_schema. They only go forward.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations is the embedded schema history, read once.
var migrations = mustMigrations(migrationFiles)

// SchemaVersion is the schema version this binary brings a database to.
var SchemaVersion = migrations[len(migrations)-1].version

func mustMigrations(fsys fs.FS) []migration {
	m, err := readMigrations(fsys)
	if err != nil {
		panic(err)
	}
	return m
}

// readMigrations reads the migrations of fsys's migrations directory,
// numbered from 1 without gaps.
func readMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []migration
	for i, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %s: want the number %04d at the start of its name", name, i+1)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	if len(out) == 0 {
		return nil, errors.New("no schema migrations embedded")
	}
	return out, nil
}

// migrate applies the migrations the database lacks, holding a
// session-level advisory lock so that concurrent Opens migrate once: the
// second waits, then finds nothing to do. A database with a newer schema
// than migs knows fails with store.ErrSchemaTooNew.
func migrate(ctx context.Context, pool *pgxpool.Pool, migs []migration, logger *slog.Logger) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(lockClassMigrate)); err != nil {
		return fmt.Errorf("lock schema: %w", err)
	}
	defer func() {
		// A failed unlock ends with the connection: close it rather than
		// return it to the pool still holding the lock.
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(lockClassMigrate)); err != nil {
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS driftgate_schema (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("create schema table: %w", err)
	}
	var have int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM driftgate_schema").Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	want := migs[len(migs)-1].version
	if have > want {
		return fmt.Errorf("%w: the database is at schema version %d and this driftgate knows up to version %d; "+
			"run a driftgate at least as new as the one that migrated it (every node must be upgraded before "+
			"an older one can start again)", store.ErrSchemaTooNew, have, want)
	}
	for _, m := range migs[have:] {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO driftgate_schema (version, name) VALUES ($1, $2)", m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate schema to version %d (%s): %w", m.version, m.name, err)
		}
		logger.Info("migrated database schema", logKeyFrom, m.version-1, logKeyTo, m.version)
	}
	return nil
}
