package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/test/pgtest"
)

func TestOpenRecordsSchemaVersion(t *testing.T) {
	s, _ := openTest(t, Options{})
	var v int
	if err := s.pool.QueryRow(context.Background(), "SELECT max(version) FROM driftgate_schema").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != SchemaVersion || v != len(migrations) {
		t.Fatalf("schema version %d, want %d", v, SchemaVersion)
	}
}

// Two processes opening one new database together migrate it once: the
// second waits for the first's advisory lock and finds nothing to do. The
// extra migration sleeps so that the two Opens overlap.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	url := pgtest.NewDatabase(t)
	migs := append(append([]migration(nil), migrations...), migration{
		version: len(migrations) + 1, name: "slow.sql",
		sql: "SELECT pg_sleep(0.5); CREATE TABLE slow_marker (n int); INSERT INTO slow_marker VALUES (1);",
	})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	stores := make([]*Store, len(errs))
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = open(ctx, url, Options{}, migs)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	var rows, markers int
	if err := stores[0].pool.QueryRow(ctx, "SELECT count(*) FROM driftgate_schema").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if err := stores[0].pool.QueryRow(ctx, "SELECT count(*) FROM slow_marker").Scan(&markers); err != nil {
		t.Fatal(err)
	}
	if rows != len(migs) || markers != 1 {
		t.Fatalf("%d schema rows and %d markers, want %d and 1: migrated more than once", rows, markers, len(migs))
	}
}

// A binary older than the database's schema refuses to start, naming both
// versions and what to do.
func TestOpenRefusesNewerSchema(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	migs := append(append([]migration(nil), migrations...), migration{
		version: len(migrations) + 1, name: "future.sql", sql: "CREATE TABLE future (n int)",
	})
	newer, err := open(ctx, url, Options{}, migs)
	if err != nil {
		t.Fatal(err)
	}
	newer.Close()
	_, err = Open(ctx, url, Options{})
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("open: %v, want ErrSchemaTooNew", err)
	}
	for _, want := range []string{
		fmt.Sprintf("schema version %d", SchemaVersion+1), fmt.Sprintf("up to version %d", SchemaVersion),
		"run a driftgate at least as new",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestOpenRefusesBadKey(t *testing.T) {
	_, err := Open(context.Background(), "postgres://127.0.0.1:1/x", Options{EncryptionKey: []byte("short")})
	if !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("open: %v, want ErrInvalid", err)
	}
}

func TestOpenRefusesBadURL(t *testing.T) {
	_, err := Open(context.Background(), "postgres://u:secret@[bad", Options{})
	if !errors.Is(err, store.ErrInvalid) || strings.Contains(err.Error(), "secret") {
		t.Fatalf("open: %v, want ErrInvalid without the password", err)
	}
}

// A database an older binary made is brought forward from its version.
func TestOpenMigratesAnOlderSchema(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	old, err := open(ctx, url, Options{}, migrations[:1])
	if err != nil {
		t.Fatal(err)
	}
	r := store.Run{Repo: "infra", Stack: "net"}
	if err := old.CreateRun(ctx, &r); err != nil {
		t.Fatal(err)
	}
	old.Close()
	s := openURL(t, url, Options{})
	var v int
	if err := s.pool.QueryRow(ctx, "SELECT max(version) FROM driftgate_schema").Scan(&v); err != nil || v != SchemaVersion {
		t.Fatalf("schema version %d, %v; want %d", v, err, SchemaVersion)
	}
	if _, err := s.GetRun(ctx, r.ID); err != nil {
		t.Errorf("run stored before the migration: %v", err)
	}
	if err := s.PutNode(ctx, &store.Node{Name: "n1"}); err != nil {
		t.Errorf("PutNode after migrating: %v", err)
	}
}
