package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

var testV2Bucket = []byte("test_v2")

// migrationsV2 extends the real history with a test-only second version.
func migrationsV2() []migration {
	return append(append([]migration(nil), migrations...), func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucket(testV2Bucket)
		return err
	})
}

// openWith opens dir with the given migration history.
func openWith(tb testing.TB, dir string, migs []migration) (*Store, error) {
	tb.Helper()
	return open(dir, Options{}, openConfig{migrations: migs})
}

// dbState reads the schema version of a closed database file and whether it
// holds the test v2 bucket and the repo "keep".
func dbState(tb testing.TB, path string) (version uint64, hasV2, hasRepo bool) {
	tb.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(metaBucket).Get(schemaVersionKey)
		if len(v) != 8 {
			return fmt.Errorf("schema version is %d bytes", len(v))
		}
		version = binary.BigEndian.Uint64(v)
		hasV2 = tx.Bucket(testV2Bucket) != nil
		hasRepo = tx.Bucket(reposBucket).Get([]byte("keep")) != nil
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return version, hasV2, hasRepo
}

// current is the schema version of this binary; the tests' extra
// migration takes it to current+1.
var current = uint64(len(migrations))

// bak is the name of the backup made when migrating from version v.
func bak(v uint64) string { return fmt.Sprintf("%s.bak-v%d", DBFile, v) }

// seedCurrent creates a database at the current version in dir holding the
// repo "keep".
func seedCurrent(tb testing.TB, dir string) {
	tb.Helper()
	s, err := openWith(tb, dir, migrations)
	if err != nil {
		tb.Fatalf("create db: %v", err)
	}
	if err := s.PutRepo(tb.Context(), &RepoRecord{Name: "keep"}); err != nil {
		tb.Fatal(err)
	}
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
}

func TestFreshDatabaseGetsCurrentVersion(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	if got, _, _ := dbState(t, filepath.Join(dir, DBFile)); got != uint64(len(migrations)) {
		t.Errorf("schema version = %d, want %d", got, len(migrations))
	}
	backups, _ := filepath.Glob(filepath.Join(dir, "*.bak-*"))
	if len(backups) != 0 {
		t.Errorf("fresh database was backed up: %v", backups)
	}
}

func TestMigrateOlderDatabaseAfterBackup(t *testing.T) {
	dir := t.TempDir()
	seedCurrent(t, dir)

	s, err := openWith(t, dir, migrationsV2())
	if err != nil {
		t.Fatalf("open with v2 code: %v", err)
	}
	s.Close()

	type state struct {
		version        uint64
		hasV2, hasRepo bool
	}
	tests := []struct {
		file string
		want state
	}{
		{DBFile, state{current + 1, true, true}},
		{bak(current), state{current, false, true}},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, tt.file)
		var got state
		got.version, got.hasV2, got.hasRepo = dbState(t, path)
		if got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.file, got, tt.want)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", tt.file, fi.Mode().Perm())
		}
	}

	// Reopening at the current version neither migrates nor backs up again.
	if err := os.Remove(filepath.Join(dir, bak(current))); err != nil {
		t.Fatal(err)
	}
	s, err = openWith(t, dir, migrationsV2())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if backups, _ := filepath.Glob(filepath.Join(dir, "*.bak-*")); len(backups) != 0 {
		t.Errorf("reopen at current version made backups: %v", backups)
	}
}

func TestNewerDatabaseIsRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := openWith(t, dir, migrationsV2())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	_, err = openWith(t, dir, migrations)
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("err = %v, want ErrSchemaTooNew", err)
	}
	if !strings.Contains(err.Error(), "upgrade driftgate") {
		t.Errorf("err = %q, want it to tell the user to upgrade driftgate", err)
	}
	if got, _, _ := dbState(t, filepath.Join(dir, DBFile)); got != current+1 {
		t.Errorf("refused database now at schema v%d, want it untouched at v%d", got, current+1)
	}
}

func TestFailedMigrationKeepsOldVersion(t *testing.T) {
	dir := t.TempDir()
	seedCurrent(t, dir)

	boom := errors.New("boom")
	failing := append(append([]migration(nil), migrations...), func(tx *bbolt.Tx) error {
		if _, err := tx.CreateBucket(testV2Bucket); err != nil {
			return err
		}
		return boom
	})
	if _, err := openWith(t, dir, failing); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the migration's error", err)
	}

	got, hasV2, hasRepo := dbState(t, filepath.Join(dir, DBFile))
	if got != current || hasV2 || !hasRepo {
		t.Errorf("after failed migration: version %d, test bucket %v, data %v; want %d, false, true", got, hasV2, hasRepo, current)
	}
	if _, err := os.Stat(filepath.Join(dir, bak(current))); err != nil {
		t.Errorf("backup missing: %v", err)
	}
}

func TestForeignDatabaseIsRefused(t *testing.T) {
	dir := t.TempDir()
	db, err := bbolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucket([]byte("something_else"))
		return err
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "not a driftgate database") {
		t.Errorf("err = %v, want a not-a-driftgate-database error", err)
	}
}

// TestMigrateV2IndexesActiveRuns builds a schema v1 database holding runs
// in every state and checks that v2 indexes exactly the queued and running
// ones, which the queue then finds.
func TestMigrateV2IndexesActiveRuns(t *testing.T) {
	dir := t.TempDir()
	// A v1 file as v1 wrote it: its buckets, its version, runs without
	// the active index.
	db, err := bbolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := newIDSource()
	var want []string
	err = db.Update(func(tx *bbolt.Tx) error {
		if err := migrateV1(tx); err != nil {
			return err
		}
		ver := make([]byte, 8)
		binary.BigEndian.PutUint64(ver, 1)
		if err := tx.Bucket(metaBucket).Put(schemaVersionKey, ver); err != nil {
			return err
		}
		for _, st := range []RunStatus{StatusPlanned, StatusQueued, StatusRunning, StatusErrored, StatusQueued} {
			id, err := ids.next(time.Now())
			if err != nil {
				return err
			}
			r := Run{ID: id.String(), Repo: "infra", Stack: "net", Status: st}
			v, err := json.Marshal(&r)
			if err != nil {
				return err
			}
			if err := tx.Bucket(runsBucket).Put(id[:], v); err != nil {
				return err
			}
			if !st.Terminal() {
				want = append(want, r.ID)
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	active, err := s.ActiveRuns(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range active {
		got = append(got, r.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("active runs after migration = %v, want %v", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, bak(1))); err != nil {
		t.Errorf("no backup of the v1 database: %v", err)
	}
}

// TestSchemaHistory pins the schema version this binary writes and the
// bucket each version adds, so that appending a migration, or editing one
// that shipped, is seen here.
func TestSchemaHistory(t *testing.T) {
	const want = 10
	if current != want {
		t.Fatalf("schema version = %d, want %d: update this history", current, want)
	}
	tests := []struct {
		version uint64
		bucket  []byte
	}{
		{1, runsBucket},
		{2, activeRunsBucket},
		{3, driftStatusBucket},
		{4, deliveriesBucket},
		{5, auditBucket},
		{6, stateVersionsBucket},
		{7, holdsBucket},
		{8, runsByStatusBucket},
		{9, outboxBucket},
		{10, nodesBucket},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("v%d", tt.version), func(t *testing.T) {
			db, err := bbolt.Open(filepath.Join(t.TempDir(), DBFile), 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			err = db.Update(func(tx *bbolt.Tx) error {
				for _, m := range migrations[:tt.version-1] {
					if err := m(tx); err != nil {
						return err
					}
				}
				if tx.Bucket(tt.bucket) != nil {
					return fmt.Errorf("bucket %s exists before v%d", tt.bucket, tt.version)
				}
				if err := migrations[tt.version-1](tx); err != nil {
					return err
				}
				if tx.Bucket(tt.bucket) == nil {
					return fmt.Errorf("v%d does not create bucket %s", tt.version, tt.bucket)
				}
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
}
