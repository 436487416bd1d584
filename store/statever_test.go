package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

// stateVersion returns a valid state version of infra/net at serial whose
// raw state was raw.
func stateVersion(serial uint64, raw string) StateVersion {
	sum := sha256.Sum256([]byte(raw))
	return StateVersion{
		Repo: "infra", Stack: "net", Serial: serial, Lineage: "lin-1",
		SHA256: hex.EncodeToString(sum[:]), Resources: 2,
		Version: json.RawMessage(`{"serial":` + jsonUint(serial) + `,"resources":[{"address":"x.y"}]}`),
	}
}

func jsonUint(n uint64) string { return strconv.FormatUint(n, 10) }

func putStateVersion(tb testing.TB, s *Store, sv StateVersion) StateVersion {
	tb.Helper()
	if err := s.PutStateVersion(tb.Context(), &sv); err != nil {
		tb.Fatalf("PutStateVersion(%d): %v", sv.Serial, err)
	}
	return sv
}

func serials(svs []StateVersion) []uint64 {
	out := make([]uint64, len(svs))
	for i, sv := range svs {
		out[i] = sv.Serial
	}
	return out
}

func TestStateVersionsRoundTrip(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := t.Context()
	if _, err := s.LatestStateVersion(ctx, "infra", "net"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("latest of an empty stack: err = %v", err)
	}
	// Serials arrive out of order and across the 255/256 byte boundary:
	// keys must sort numerically.
	for _, n := range []uint64{2, 256, 1, 255, 3} {
		putStateVersion(t, s, stateVersion(n, "raw-"+jsonUint(n)))
	}
	// Another stack and another repo's stack of the same name stay apart.
	other := stateVersion(999, "other")
	other.Stack = "app"
	putStateVersion(t, s, other)
	local := stateVersion(7, "local")
	local.Repo = ""
	putStateVersion(t, s, local)

	tests := []struct {
		name        string
		repo, stack string
		limit       int
		want        []uint64
	}{
		{"all newest first", "infra", "net", 0, []uint64{256, 255, 3, 2, 1}},
		{"limit", "infra", "net", 2, []uint64{256, 255}},
		{"negative limit is all", "infra", "net", -1, []uint64{256, 255, 3, 2, 1}},
		{"other stack", "infra", "app", 0, []uint64{999}},
		{"local repo", LocalRepo, "net", 0, []uint64{7}},
		{"unknown stack", "infra", "nope", 0, []uint64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListStateVersions(ctx, tt.repo, tt.stack, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if g := serials(got); !slices.Equal(g, tt.want) {
				t.Errorf("serials = %v, want %v", g, tt.want)
			}
			for _, sv := range got {
				if sv.Version != nil {
					t.Errorf("listing of serial %d carries its version", sv.Serial)
				}
			}
		})
	}

	list, _ := s.ListStateVersions(ctx, "infra", "net", 1)
	want := stateVersion(256, "raw-256")
	want.CreatedAt = list[0].CreatedAt
	want.Version = nil
	if !reflect.DeepEqual(list[0], want) {
		t.Errorf("listed = %+v, want %+v", list[0], want)
	}
	if list[0].CreatedAt.IsZero() || time.Since(list[0].CreatedAt) > time.Minute {
		t.Errorf("created at = %v", list[0].CreatedAt)
	}

	got, err := s.GetStateVersion(ctx, "infra", "net", 3)
	if err != nil {
		t.Fatal(err)
	}
	if w := stateVersion(3, "raw-3"); got.SHA256 != w.SHA256 || string(got.Version) != string(w.Version) {
		t.Errorf("get = %+v, want version %s", got, w.Version)
	}
	latest, err := s.LatestStateVersion(ctx, "infra", "net")
	if err != nil || latest.Serial != 256 || len(latest.Version) == 0 {
		t.Errorf("latest = %+v, %v", latest, err)
	}
	if _, err := s.GetStateVersion(ctx, "infra", "net", 4); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing serial: err = %v", err)
	}
	if _, err := s.GetStateVersion(ctx, "infra", "nope", 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing stack: err = %v", err)
	}
}

func TestPutStateVersionIdempotentAndConflict(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := t.Context()
	first := putStateVersion(t, s, stateVersion(5, "raw"))

	again := stateVersion(5, "raw")
	again.CreatedAt = first.CreatedAt.Add(time.Hour)
	again.RunID = "01HZZZZZZZZZZZZZZZZZZZZZZZ"
	if err := s.PutStateVersion(ctx, &again); err != nil {
		t.Fatalf("same state again: %v", err)
	}
	if !again.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("idempotent put: created at = %v, want the stored %v", again.CreatedAt, first.CreatedAt)
	}
	if got, _ := s.GetStateVersion(ctx, "infra", "net", 5); got.RunID != "" || !got.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("idempotent put rewrote the record: %+v", got)
	}

	tests := []struct {
		name string
		edit func(*StateVersion)
	}{
		{"different state, same serial and lineage", func(sv *StateVersion) { *sv = stateVersion(5, "other raw") }},
		{"same serial, other lineage", func(sv *StateVersion) { sv.Lineage = "lin-2" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sv := stateVersion(5, "raw")
			tt.edit(&sv)
			if err := s.PutStateVersion(ctx, &sv); !errors.Is(err, ErrConflict) {
				t.Errorf("err = %v, want ErrConflict", err)
			}
		})
	}
	if got, _ := s.GetStateVersion(ctx, "infra", "net", 5); got.SHA256 != first.SHA256 || got.Lineage != "lin-1" {
		t.Errorf("a conflicting put replaced the record: %+v", got)
	}
}

func TestPutStateVersionInvalid(t *testing.T) {
	s := openTestStore(t, Options{})
	tests := []struct {
		name string
		edit func(*StateVersion)
	}{
		{"no stack", func(sv *StateVersion) { sv.Stack = "" }},
		{"NUL in repo", func(sv *StateVersion) { sv.Repo = "a\x00b" }},
		{"no lineage", func(sv *StateVersion) { sv.Lineage = "" }},
		{"no sha", func(sv *StateVersion) { sv.SHA256 = "" }},
		{"short sha", func(sv *StateVersion) { sv.SHA256 = "abcd" }},
		{"not hex", func(sv *StateVersion) { sv.SHA256 = strings.Repeat("z", 64) }},
		{"bad json", func(sv *StateVersion) { sv.Version = json.RawMessage(`{"a":`) }},
		{"bad run id", func(sv *StateVersion) { sv.RunID = "run-1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sv := stateVersion(1, "raw")
			tt.edit(&sv)
			if err := s.PutStateVersion(t.Context(), &sv); !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
	if got, _ := s.ListStateVersions(t.Context(), "infra", "net", 0); len(got) != 0 {
		t.Errorf("invalid puts stored %d versions", len(got))
	}
}

// TestStateVersionStoredCompressed checks the record is gzip, that a
// listing stops reading at the version field, and that it still reads a
// record whose version field is not last, as a later driftgate might write
// it.
func TestStateVersionStoredCompressed(t *testing.T) {
	s := openTestStore(t, Options{})
	big := stateVersion(1, "raw")
	big.Version = json.RawMessage(`{"resources":[` + strings.Repeat(`{"address":"aws_instance.web","attributes":{"ami":"ami-123"}},`, 2000) + `{}]}`)
	putStateVersion(t, s, big)
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(stateVersionsBucket).Bucket(stackKey("infra", "net"))
		v := b.Get(serialKey(1))
		if len(v) > len(big.Version)/10 {
			t.Errorf("stored %d bytes for %d bytes of version: not compressed", len(v), len(big.Version))
		}
		reordered, err := compress([]byte(`{"version":{"x":1},"repo":"infra","stack":"net","serial":2,"lineage":"l","sha256":"` + big.SHA256 + `","created_at":"2026-01-02T03:04:05Z","resources":4}`))
		if err != nil {
			return err
		}
		if err := b.Put(serialKey(2), reordered); err != nil {
			return err
		}
		// A listing never reads past the version field: a record cut off
		// inside it still lists.
		cut := big
		cut.Serial, cut.CreatedAt = 3, time.Now().UTC()
		raw, err := json.Marshal(&cut)
		if err != nil {
			return err
		}
		whole, err := compress(raw)
		if err != nil {
			return err
		}
		return b.Put(serialKey(3), whole[:len(whole)/2])
	})
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.ListStateVersions(t.Context(), "infra", "net", 0)
	if err != nil {
		t.Fatal(err)
	}
	if g := serials(list); !slices.Equal(g, []uint64{3, 2, 1}) {
		t.Fatalf("serials = %v", g)
	}
	if list[1].Lineage != "l" || list[1].Resources != 4 || list[1].Version != nil || list[2].Resources != 2 {
		t.Errorf("list = %+v", list)
	}
	if _, err := s.GetStateVersion(t.Context(), "infra", "net", 3); err == nil {
		t.Error("get of a truncated record succeeded")
	}
}

// TestMigrateStateVersions opens a database written by the schema before
// state versions and checks the migration adds the bucket.
func TestMigrateStateVersions(t *testing.T) {
	dir := t.TempDir()
	i := slices.IndexFunc(migrations, func(m migration) bool {
		return reflect.ValueOf(m).Pointer() == reflect.ValueOf(migration(migrateStateVersions)).Pointer()
	})
	if i < 0 {
		t.Fatal("migrateStateVersions is not in migrations")
	}
	prev := migrations[:i]
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
		if tx.Bucket(stateVersionsBucket) != nil {
			t.Error("state_versions exists before its migration")
		}
		return tx.Bucket(metaBucket).Put(schemaVersionKey, binary.BigEndian.AppendUint64(nil, uint64(len(prev))))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	putStateVersion(t, s, stateVersion(1, "raw"))
}

// rawStateVersion returns the record stored for serial of infra/net,
// decompressed.
func rawStateVersion(tb testing.TB, s *Store, serial uint64) []byte {
	tb.Helper()
	var v []byte
	err := s.db.View(func(tx *bbolt.Tx) error {
		v = bytes.Clone(tx.Bucket(stateVersionsBucket).Bucket(stackKey("infra", "net")).Get(serialKey(serial)))
		return nil
	})
	if err != nil || v == nil {
		tb.Fatalf("no record of serial %d: %v", serial, err)
	}
	raw, err := decompress(v, 0)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// secretStateVersion is a state version whose body holds a planted
// secret-looking string.
func secretStateVersion(serial uint64) (StateVersion, string) {
	const secret = "db_password=hunter2-9c1f0e7a"
	sv := stateVersion(serial, "raw-"+jsonUint(serial))
	sv.Version = json.RawMessage(`{"serial":` + jsonUint(serial) + `,"resources":[{"address":"aws_db_instance.main","attributes":{"note":"` + secret + `"}}]}`)
	return sv, secret
}
