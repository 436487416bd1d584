package store

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func node(name string, beat time.Time) Node {
	return Node{
		Name: name, Version: "v1.2.3", Commit: "abc1234", Address: "https://" + name + ":8080",
		StartedAt: beat.Add(-time.Hour), Heartbeat: beat, Workers: 4, Running: []string{}, Ready: true,
	}
}

// TestNodeRoundTrip writes, replaces, lists and deletes node records: a
// record reads back as written, PutNode replaces by name, ListNodes is
// ordered by name, and a deleted node is gone.
func TestNodeRoundTrip(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := t.Context()
	if got, err := s.ListNodes(ctx); err != nil || len(got) != 0 {
		t.Fatalf("list of a fresh store = %+v, %v; want none", got, err)
	}

	beat := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	b := node("node-b", beat)
	b.Leader = true
	b.Running = []string{"01J00000000000000000000000", "01J11111111111111111111111"}
	a := node("node-a", beat)
	a.Ready, a.NotReady = false, "store cannot write: disk full"
	for _, n := range []*Node{&b, &a} {
		if err := s.PutNode(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ListNodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Node{a, b}; !reflect.DeepEqual(got, want) {
		t.Errorf("list = %+v\nwant %+v", got, want)
	}

	// A later heartbeat of node-b replaces its record.
	b2 := node("node-b", beat.Add(5*time.Second))
	if err := s.PutNode(ctx, &b2); err != nil {
		t.Fatal(err)
	}
	got, _ = s.ListNodes(ctx)
	if want := []Node{a, b2}; !reflect.DeepEqual(got, want) {
		t.Errorf("after a second heartbeat: %+v\nwant %+v", got, want)
	}

	if err := s.DeleteNode(ctx, "node-a"); err != nil {
		t.Fatal(err)
	}
	got, _ = s.ListNodes(ctx)
	if want := []Node{b2}; !reflect.DeepEqual(got, want) {
		t.Errorf("after deleting node-a: %+v\nwant %+v", got, want)
	}
	if err := s.DeleteNode(ctx, "node-a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting node-a twice: err = %v, want ErrNotFound", err)
	}
}

// TestNodeInvalidName refuses names that cannot key a node, and writes
// nothing for them.
func TestNodeInvalidName(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := t.Context()
	for _, name := range []string{"", "a\x00b", "line\nbreak", "\xff", strings.Repeat("n", MaxNodeName+1)} {
		n := node(name, time.Now())
		if err := s.PutNode(ctx, &n); !errors.Is(err, ErrInvalid) {
			t.Errorf("put node %q: err = %v, want ErrInvalid", name, err)
		}
		if err := s.DeleteNode(ctx, name); !errors.Is(err, ErrInvalid) {
			t.Errorf("delete node %q: err = %v, want ErrInvalid", name, err)
		}
	}
	if got, err := s.ListNodes(ctx); err != nil || len(got) != 0 {
		t.Errorf("refused puts wrote %+v, %v", got, err)
	}
	long := node(strings.Repeat("n", MaxNodeName), time.Now())
	if err := s.PutNode(ctx, &long); err != nil {
		t.Errorf("a name of %d bytes: %v", MaxNodeName, err)
	}
}

// TestMigrateNodes opens a database written by the schema before nodes
// (v9), checks that the bucket is created after a backup and that the
// older data and new node records survive reopening.
func TestMigrateNodes(t *testing.T) {
	dir := t.TempDir()
	prev := migrations[:migrationIndex(t, migrateNodes)]
	db, err := bbolt.Open(filepath.Join(dir, DBFile), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, m := range prev {
			if err := m(tx); err != nil {
				return err
			}
		}
		if tx.Bucket(nodesBucket) != nil {
			return errors.New("nodes bucket exists before its migration")
		}
		if err := tx.Bucket(reposBucket).Put([]byte("keep"), []byte(`{"name":"keep"}`)); err != nil {
			return err
		}
		return tx.Bucket(metaBucket).Put(schemaVersionKey, binary.BigEndian.AppendUint64(nil, uint64(len(prev))))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}

	for i := range 2 {
		s, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			n := node("node-a", time.Now().UTC())
			if err := s.PutNode(t.Context(), &n); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ListNodes(t.Context())
		if err == nil {
			_, err = s.GetRepo(t.Context(), "keep")
		}
		if cerr := s.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Name != "node-a" {
			t.Errorf("open %d: nodes = %+v", i+1, got)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, bak(uint64(len(prev))))); err != nil {
		t.Errorf("no backup of the v%d database: %v", len(prev), err)
	}
}
