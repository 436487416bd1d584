package store

// The database (<data_dir>/driftgate.db) holds these buckets. Every run-keyed
// bucket uses the run's 16-byte binary ULID as key, so keys sort by creation
// time; <stack key> is <repo>\x00<stack>, with LocalRepo standing in for the
// empty repo of local runs.
//
//	meta/
//	|-- schema_version -> uint64, big-endian
//	repos/
//	|-- <repo name> -> RepoRecord, JSON
//	stacks/
//	|-- <stack key> -> StackRecord, JSON
//	runs/
//	|-- <run id> -> Run, JSON
//	runs_by_stack/
//	|-- <stack key>/                 one bucket per stack
//	    |-- <run id> -> run status   index: newest run is the last key
//	plans/
//	|-- <run id> -> planMeta, JSON (sha256 and sizes)
//	plan_json/
//	|-- <run id> -> gzip(redacted plan JSON)
//	plan_text/
//	|-- <run id> -> gzip(redacted plan text)
//	plan_analysis/
//	|-- <run id> -> gzip(plan analysis JSON)
//	plan_files/
//	|-- <run id> -> binary plan file, sealed if a key is set (crypt.go)
//	logs/
//	|-- <run id> -> gzip(run log)
//	drift_status/, drift_findings/     (schema v3) drawn in drift.go
//	deliveries/                        (schema v4) drawn in deliveries.go
//	audit/                             (schema v5) drawn in audit.go
//	state_versions/                    (schema v6) drawn in statever.go
//	holds/                             (schema v7) drawn in holds.go
//	runs_by_repo/, runs_by_status/,    (schema v8) drawn in runindex.go
//	runs_by_op/
//	prs/, webhook_ids/, forge_outbox/  (schema v9) drawn in prs.go, outbox.go
//	nodes/                             (schema v10) drawn in nodes.go
//	active_runs/                       (schema v2)
//	|-- <run id> -> run status         index of queued and running runs
//	                                   only: the queue, oldest first

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Bucket names and fixed keys.
var (
	metaBucket         = []byte("meta")
	reposBucket        = []byte("repos")
	stacksBucket       = []byte("stacks")
	runsBucket         = []byte("runs")
	runsByStackBucket  = []byte("runs_by_stack")
	plansBucket        = []byte("plans")
	planJSONBucket     = []byte("plan_json")
	planTextBucket     = []byte("plan_text")
	planAnalysisBucket = []byte("plan_analysis")
	planFilesBucket    = []byte("plan_files")
	logsBucket         = []byte("logs")
	activeRunsBucket   = []byte("active_runs")

	schemaVersionKey = []byte("schema_version")
)

// runBlobBuckets hold one value per run that is deleted with the run.
var runBlobBuckets = [][]byte{
	plansBucket, planJSONBucket, planTextBucket, planAnalysisBucket, planFilesBucket, logsBucket,
}

// topBuckets lists every top-level bucket the current schema requires.
var topBuckets = [][]byte{
	metaBucket, reposBucket, stacksBucket, runsBucket, runsByStackBucket,
	plansBucket, planJSONBucket, planTextBucket, planAnalysisBucket, planFilesBucket, logsBucket,
	activeRunsBucket,
	runsByRepoBucket, runsByStatusBucket, runsByOpBucket,
	driftStatusBucket, driftFindingsBucket,
	deliveriesBucket,
	auditBucket,
	stateVersionsBucket,
	holdsBucket,
	prsBucket, webhookIDsBucket, outboxBucket,
	nodesBucket,
}

// Log keys.
const (
	logKeyPath    = "path"
	logKeyBackup  = "backup"
	logKeyFrom    = "from_version"
	logKeyTo      = "to_version"
	logKeyMode    = "mode"
	logKeyRepo    = "repo"
	logKeyStack   = "stack"
	logKeyDeleted = "deleted"
)

// DBFile is the name of the database file inside the data dir.
const DBFile = "driftgate.db"

// Defaults applied by Open to zero Options fields.
const (
	// DefaultTimeout is how long Open waits for another process's lock.
	DefaultTimeout = time.Second
	// DefaultRetention is how many finished runs per stack are kept.
	DefaultRetention = 500
)

// Options configures Open. The zero value is usable.
type Options struct {
	// Timeout is how long Open waits for the database file lock held by
	// another process. Zero or negative means DefaultTimeout.
	Timeout time.Duration

	// Retention is how many of the newest finished runs are kept per stack.
	// Zero means DefaultRetention; a negative value disables pruning.
	Retention int

	// Logger receives the store's logs. Nil discards them.
	Logger *slog.Logger

	// EncryptionKey, when not empty, is the AES-256 key (EncryptionKeySize
	// bytes) that seals plan files and the bodies of state versions before
	// they are stored; see crypt.go for the format. Values stored without
	// a key stay readable with one; sealed ones need the key that wrote
	// them. Empty stores them plain.
	EncryptionKey []byte

	// InitEmpty lets Open create a new, empty database where the file is
	// missing or empty although the data dir holds an earlier install's
	// state (repo mirrors, terraform state, backups). Without it Open
	// refuses with ErrNoDatabase rather than lose every run silently.
	InitEmpty bool

	// NoSync skips the fsync of every commit: only for loading test and
	// benchmark data, never for a daemon (a crash can lose commits or
	// damage the file).
	NoSync bool
}

// Store is a bbolt-backed store of repos, stacks, runs, plans and logs. It is
// safe for concurrent use.
type Store struct {
	db        *bbolt.DB
	path      string
	retention int
	logger    *slog.Logger
	ids       *idSource
	aead      cipher.AEAD // seals plan files and state versions; nil without a key
}

// openConfig carries what tests may vary beyond Options.
type openConfig struct {
	migrations []migration
	maxSize    int // bbolt MaxSize; 0 means unlimited
}

// Open opens (creating if needed) the store in dir: the directory is created
// with mode 0700 and the database file dir/driftgate.db with mode 0600.
// Pending schema migrations are applied after a backup of the file. Open
// fails with ErrLocked if another process holds the file for longer than
// opts.Timeout, with ErrSchemaTooNew if the file was written by a newer
// driftgate, and with ErrInvalid if opts.EncryptionKey is set but is not
// EncryptionKeySize bytes. It refuses a file that is not whole with
// ErrDamaged, before bbolt maps it (fileguard.go), and a missing or empty
// file in a data dir an earlier install used with ErrNoDatabase, unless
// opts.InitEmpty.
func Open(dir string, opts Options) (*Store, error) {
	return open(dir, opts, openConfig{migrations: migrations})
}

func open(dir string, opts Options, cfg openConfig) (*Store, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Retention == 0 {
		opts.Retention = DefaultRetention
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	path := filepath.Join(dir, DBFile)
	logger = logger.With(logKeyPath, path)
	aead, err := newAEAD(opts.EncryptionKey)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store %s: create data dir: %w", path, err)
	}
	if err := guardFile(dir, path, opts.InitEmpty); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db, err := openBolt(path, opts.Timeout, cfg.maxSize)
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open store %s: %w (waited %s); stop it or use another data_dir",
			path, ErrLocked, opts.Timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.NoSync = opts.NoSync
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		logger.Warn("database file is accessible by other users; chmod it to 0600",
			logKeyMode, fi.Mode().Perm().String())
	}

	if err := guarded(func() error { return migrate(db, path, cfg.migrations, logger) }); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return &Store{
		db:        db,
		path:      path,
		retention: opts.Retention,
		logger:    logger,
		ids:       newIDSource(),
		aead:      aead,
	}, nil
}

// openBolt opens the bbolt file at path, turning a panic or memory fault
// of bbolt on a damaged file into an ErrDamaged error.
func openBolt(path string, timeout time.Duration, maxSize int) (db *bbolt.DB, err error) {
	err = guarded(func() error {
		db, err = bbolt.Open(path, 0o600, &bbolt.Options{
			Timeout:      timeout,
			FreelistType: bbolt.FreelistMapType,
			MaxSize:      maxSize,
		})
		return err
	})
	return db, err
}

// guarded runs fn, turning a panic, or a memory fault on a mapped page that
// is not in the file, into an ErrDamaged error with the advice to restore.
func guarded(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: reading it failed (%v); restore it from a backup and run `driftgate store check`",
				ErrDamaged, r)
		}
	}()
	return fn()
}

// Close closes the database and releases the data dir's file lock. It waits
// for transactions in progress and may be called more than once.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", s.path, err)
	}
	return nil
}

// Path returns the path of the database file.
func (s *Store) Path() string { return s.path }

// view runs fn in a read-only transaction unless ctx is already done.
func (s *Store) view(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// update runs fn in a read-write transaction unless ctx is already done. All
// of fn's writes commit together or not at all; a failed commit (such as on
// a full disk) is reported as such. An audit entry attached to ctx
// (WithAudit) is written in the same transaction.
func (s *Store) update(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	attached := attachedTo(ctx)
	if attached != nil {
		if err := checkAudit(attached.e); err != nil {
			return err
		}
	}
	var entry AuditEntry
	committing := false
	err := s.db.Update(func(tx *bbolt.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if attached != nil {
			var err error
			if entry, err = s.putAudit(tx, attached.e); err != nil {
				return err
			}
		}
		committing = true
		return nil
	})
	if err != nil && committing {
		return fmt.Errorf("commit: %w", err)
	}
	if err == nil && attached != nil {
		*attached.e, attached.written = entry, true
	}
	return err
}
