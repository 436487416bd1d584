package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"go.etcd.io/bbolt"
)

// A migration upgrades the schema by one version inside a write transaction.
// migrations[i] takes a database from version i to version i+1; a fresh
// database is version 0.
type migration func(*bbolt.Tx) error

// migrations is the forward-only schema history. Append to it; never edit or
// reorder an entry that has shipped. The schema version this binary writes is
// len(migrations).
var migrations = []migration{
	migrateV1,
	migrateV2,
	migrateDrift, // v3: drift_status and drift_findings (drift.go)
	// v4: deliveries (deliveries.go)
	migrateDeliveries,
	migrateAudit, // v5: audit (audit.go)
	// v6: state_versions (statever.go)
	migrateStateVersions,
	migrateHolds, // v7: holds (holds.go)
	// v8: runs_by_repo, runs_by_status, runs_by_op (runindex.go)
	migrateRunIndexes,
	migratePRs,   // v9: prs, webhook_ids, forge_outbox (prs.go, outbox.go)
	migrateNodes, // v10: nodes (nodes.go)
}

// v1Buckets is the bucket tree of schema v1, frozen: later versions add
// buckets in their own migrations.
var v1Buckets = [][]byte{
	metaBucket, reposBucket, stacksBucket, runsBucket, runsByStackBucket,
	plansBucket, planJSONBucket, planTextBucket, planAnalysisBucket, planFilesBucket, logsBucket,
}

// migrateV1 creates the initial bucket tree drawn in store.go.
func migrateV1(tx *bbolt.Tx) error {
	for _, name := range v1Buckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}

// migrateV2 adds the active_runs index (the durable queue) and fills it
// with the runs that are queued or running.
func migrateV2(tx *bbolt.Tx) error {
	active, err := tx.CreateBucketIfNotExists(activeRunsBucket)
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", activeRunsBucket, err)
	}
	return tx.Bucket(runsBucket).ForEach(func(k, v []byte) error {
		var run Run
		if err := json.Unmarshal(v, &run); err != nil {
			return fmt.Errorf("decode run %s: %w", formatRunID(k), err)
		}
		if run.Status.Terminal() {
			return nil
		}
		return active.Put(k, []byte(run.Status))
	})
}

// migrate brings db to schema version len(migs). A database that already
// holds data is copied to <path>.bak-v<old> first. All pending migrations and
// the version bump commit in one transaction, so a failure leaves the
// database at its old version.
func migrate(db *bbolt.DB, path string, migs []migration, logger *slog.Logger) error {
	want := uint64(len(migs))
	var have uint64
	var fresh bool
	err := db.View(func(tx *bbolt.Tx) error {
		var err error
		have, fresh, err = schemaVersion(tx)
		return err
	})
	if err != nil {
		return err
	}
	switch {
	case have == want:
		return verifyBuckets(db)
	case have > want:
		return fmt.Errorf("%w: database is schema v%d, this driftgate knows up to v%d; upgrade driftgate",
			ErrSchemaTooNew, have, want)
	}

	if !fresh {
		backup := fmt.Sprintf("%s.bak-v%d", path, have)
		if err := backupDB(db, backup); err != nil {
			return fmt.Errorf("back up before migrating from schema v%d: %w", have, err)
		}
		logger.Info("backed up database before migration", logKeyBackup, backup, logKeyFrom, have)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for v := have; v < want; v++ {
			if err := migs[v](tx); err != nil {
				return fmt.Errorf("migrate schema v%d to v%d: %w", v, v+1, err)
			}
		}
		meta, err := tx.CreateBucketIfNotExists(metaBucket)
		if err != nil {
			return fmt.Errorf("create bucket %s: %w", metaBucket, err)
		}
		return meta.Put(schemaVersionKey, binary.BigEndian.AppendUint64(nil, want))
	})
	if err != nil {
		return err
	}
	if !fresh {
		logger.Info("migrated database", logKeyFrom, have, logKeyTo, want)
	}
	return verifyBuckets(db)
}

// schemaVersion reads the stored schema version. fresh reports a database
// with no buckets at all, which needs no backup.
func schemaVersion(tx *bbolt.Tx) (version uint64, fresh bool, err error) {
	meta := tx.Bucket(metaBucket)
	if meta == nil {
		fresh = true
		err = tx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
			fresh = false
			return fmt.Errorf("not a driftgate database: bucket %q present but no %s bucket", name, metaBucket)
		})
		return 0, fresh, err
	}
	v := meta.Get(schemaVersionKey)
	if v == nil {
		return 0, false, nil
	}
	if len(v) != 8 {
		return 0, false, fmt.Errorf("corrupt schema version: %d bytes, want 8", len(v))
	}
	return binary.BigEndian.Uint64(v), false, nil
}

// verifyBuckets checks that every bucket of the current schema exists, so the
// rest of the package may rely on tx.Bucket returning non-nil.
func verifyBuckets(db *bbolt.DB) error {
	return db.View(func(tx *bbolt.Tx) error {
		for _, name := range topBuckets {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("corrupt database: bucket %s missing", name)
			}
		}
		return nil
	})
}

// backupDB writes a consistent copy of db to path, replacing any older file
// there only once the copy is complete and synced.
func backupDB(db *bbolt.DB, path string) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	err = db.View(func(tx *bbolt.Tx) error {
		_, err := tx.WriteTo(f)
		return err
	})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
