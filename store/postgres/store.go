package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/driftgate/driftgate/store"
)

// Log keys.
const (
	logKeyRepo    = "repo"
	logKeyStack   = "stack"
	logKeyDeleted = "deleted"
	logKeyTable   = "table"
	logKeyKey     = "key"
	logKeyError   = "error"
	logKeyFrom    = "from_version"
	logKeyTo      = "to_version"
)

// Options configures Open. The zero value is usable.
type Options struct {
	// Retention is how many of the newest finished runs are kept per
	// stack. Zero means store.DefaultRetention; a negative value disables
	// pruning.
	Retention int

	// Logger receives the store's logs. Nil discards them.
	Logger *slog.Logger

	// EncryptionKey, when not empty, is the AES-256 key
	// (store.EncryptionKeySize bytes) that seals plan files and the bodies
	// of state versions, as in the bbolt store.
	EncryptionKey []byte
}

// Store is a PostgreSQL-backed store. It is safe for concurrent use, and
// any number of processes may use one database at once.
type Store struct {
	pool      *pgxpool.Pool
	retention int
	logger    *slog.Logger
	ids       *store.IDs
	sealer    *store.Sealer
}

// Open connects to the database at url (a PostgreSQL URL or key=value
// string) and applies the pending schema migrations under an advisory
// lock. It fails with store.ErrSchemaTooNew when the database's schema is
// newer than this binary knows, and with store.ErrInvalid when
// opts.EncryptionKey is set but is not store.EncryptionKeySize bytes.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	return open(ctx, url, opts, migrations)
}

func open(ctx context.Context, url string, opts Options, migs []migration) (*Store, error) {
	if opts.Retention == 0 {
		opts.Retention = store.DefaultRetention
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	sealer, err := store.NewSealer(opts.EncryptionKey)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The error may quote the URL, password included.
		return nil, fmt.Errorf("open postgres store: %w: the database URL does not parse", store.ErrInvalid)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if err := migrate(ctx, pool, migs, logger); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store on %s/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	return &Store{
		pool:      pool,
		retention: opts.Retention,
		logger:    logger,
		ids:       store.NewIDs(),
		sealer:    sealer,
	}, nil
}

// Close closes the store's connections, waiting for queries in progress.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// tx runs fn in a transaction unless ctx is already done. All of fn's
// writes commit together or not at all. An audit entry attached to ctx
// (store.WithAudit) is written in the same transaction, and marked stored
// once it committed.
func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	attached := store.AuditToWrite(ctx)
	if attached != nil {
		if err := store.CheckAudit(attached); err != nil {
			return err
		}
	}
	var entry store.AuditEntry
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if attached != nil {
			var err error
			entry, err = s.putAudit(ctx, tx, attached)
			return err
		}
		return nil
	})
	if err != nil {
		return mapError(err)
	}
	if attached != nil {
		store.AuditStored(ctx, entry)
	}
	return nil
}

// mapError turns a PostgreSQL constraint violation the store expects into
// the store error that says it.
func mapError(err error) error {
	if errors.Is(err, store.ErrConflict) {
		return err // mapped already
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "runs_one_running" {
		return fmt.Errorf("%w (%w)", &store.ConflictError{Reason: "another run of the stack is already running"}, err)
	}
	return err
}

// Advisory lock classes (the first key of the two-key form).
const (
	lockClassMigrate = 0x64726966 // "drif"
	lockClassStack   = 0x74676174 // "tgat"
)

// lockStack serialises, until tx ends, the transactions that change the
// runs of the stack repo/stack. Two stacks whose names hash alike share
// a lock, which only costs waiting.
func lockStack(ctx context.Context, tx pgx.Tx, repo, stack string) error {
	h := fnv.New32a()
	h.Write([]byte(store.RepoKey(repo)))
	h.Write([]byte{0})
	h.Write([]byte(stack))
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, $2)", int32(lockClassStack), int32(h.Sum32())); err != nil {
		return fmt.Errorf("lock stack: %w", err)
	}
	return nil
}

// skipUnreadable logs a record a listing skips because it does not decode.
func (s *Store) skipUnreadable(table, key string, err error) {
	s.logger.Error("skipping unreadable record", logKeyTable, table, logKeyKey, key, slog.Any(logKeyError, err))
}

// now is the store's clock, in UTC.
func now() time.Time { return time.Now().UTC() }
