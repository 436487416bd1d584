package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func TestStateVersionSealedAtRest(t *testing.T) {
	tests := []struct {
		name       string
		key        []byte
		wantSecret bool
	}{
		{"no key stores the body plain", nil, true},
		{"key seals the body", testKey(1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTestStore(t, Options{EncryptionKey: tt.key})
			ctx := t.Context()
			sv, secret := secretStateVersion(1)
			putStateVersion(t, s, sv)
			putStateVersion(t, s, stateVersion(2, "raw-2"))

			raw := rawStateVersion(t, s, 1)
			if got := bytes.Contains(raw, []byte(secret)); got != tt.wantSecret {
				t.Errorf("stored record contains the planted secret: %t, want %t", got, tt.wantSecret)
			}
			var rec stateVersionRecord
			if err := json.Unmarshal(raw, &rec); err != nil {
				t.Fatal(err)
			}
			if sealed := rec.SealedVersion != nil; sealed == tt.wantSecret || (rec.Version != nil) != tt.wantSecret {
				t.Errorf("record has version %t, sealed version %t", rec.Version != nil, sealed)
			}
			if bytes.Contains(rec.SealedVersion, []byte(secret)) {
				t.Error("sealed body holds the secret")
			}
			if rec.Lineage != "lin-1" || rec.SHA256 != sv.SHA256 || rec.Resources != 2 {
				t.Errorf("metadata is not stored plain: %+v", rec.StateVersion)
			}

			for _, get := range []func() (*StateVersion, error){
				func() (*StateVersion, error) { return s.GetStateVersion(ctx, "infra", "net", 1) },
				func() (*StateVersion, error) { return s.LatestStateVersion(ctx, "infra", "net") },
			} {
				got, err := get()
				if err != nil {
					t.Fatal(err)
				}
				want := stateVersion(got.Serial, "raw-"+jsonUint(got.Serial))
				if got.Serial == 1 {
					want = sv
				}
				if string(got.Version) != string(want.Version) || got.SHA256 != want.SHA256 || got.Lineage != want.Lineage {
					t.Errorf("read back serial %d = %+v", got.Serial, got)
				}
			}
			list, err := s.ListStateVersions(ctx, "infra", "net", 0)
			if err != nil || !slices.Equal(serials(list), []uint64{2, 1}) || list[1].SHA256 != sv.SHA256 || list[1].Version != nil {
				t.Errorf("list = %+v, %v", list, err)
			}
			// Storing the same state again is still idempotent.
			if err := s.PutStateVersion(ctx, &sv); err != nil {
				t.Errorf("same state again: %v", err)
			}
		})
	}
}

// TestStateVersionSealedOtherKeys reopens a store written with a key
// without it and with another key: listings work, bodies do not open.
func TestStateVersionSealedOtherKeys(t *testing.T) {
	dir := t.TempDir()
	sv, _ := secretStateVersion(3)
	withStore(t, dir, testKey(1), func(s *Store) { putStateVersion(t, s, sv) })

	tests := []struct {
		name    string
		key     []byte
		wantErr error
		want    string
	}{
		{"no key", nil, ErrEncrypted, "configure the encryption key that wrote it"},
		{"other key", testKey(2), ErrDecrypt, "another key"},
		{"same key", testKey(1), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withStore(t, dir, tt.key, func(s *Store) {
				ctx := t.Context()
				list, err := s.ListStateVersions(ctx, "infra", "net", 0)
				if err != nil || len(list) != 1 || list[0].SHA256 != sv.SHA256 {
					t.Errorf("list = %+v, %v", list, err)
				}
				_, err = s.GetStateVersion(ctx, "infra", "net", 3)
				_, lerr := s.LatestStateVersion(ctx, "infra", "net")
				for _, err := range []error{err, lerr} {
					if !errors.Is(err, tt.wantErr) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
						t.Errorf("err = %v, want %v saying %q", err, tt.wantErr, tt.want)
					}
				}
			})
		})
	}
}

// TestStateVersionSealedMoved copies a sealed record to another serial and
// another stack, and replaces a sealed body with a plain one: none opens.
func TestStateVersionSealedMoved(t *testing.T) {
	s := openTestStore(t, Options{EncryptionKey: testKey(1)})
	sv, _ := secretStateVersion(1)
	putStateVersion(t, s, sv)
	plainBody, err := compress(sv.Version)
	if err != nil {
		t.Fatal(err)
	}
	var rec stateVersionRecord
	if err := json.Unmarshal(rawStateVersion(t, s, 1), &rec); err != nil {
		t.Fatal(err)
	}
	rec.SealedVersion = plainBody
	swapped, err := json.Marshal(&rec)
	if err != nil {
		t.Fatal(err)
	}
	if swapped, err = compress(swapped); err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(func(tx *bbolt.Tx) error {
		svb := tx.Bucket(stateVersionsBucket)
		v := bytes.Clone(svb.Bucket(stackKey("infra", "net")).Get(serialKey(1)))
		if err := svb.Bucket(stackKey("infra", "net")).Put(serialKey(2), v); err != nil {
			return err
		}
		if err := svb.Bucket(stackKey("infra", "net")).Put(serialKey(3), swapped); err != nil {
			return err
		}
		other, err := svb.CreateBucket(stackKey("infra", "app"))
		if err != nil {
			return err
		}
		return other.Put(serialKey(1), v)
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		stack  string
		serial uint64
	}{
		{"another serial", "net", 2},
		{"another stack", "app", 1},
		{"plain body in place of the sealed one", "net", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.GetStateVersion(t.Context(), "infra", tt.stack, tt.serial); !errors.Is(err, ErrDecrypt) {
				t.Errorf("err = %v, want ErrDecrypt", err)
			}
		})
	}
	if got, err := s.GetStateVersion(t.Context(), "infra", "net", 1); err != nil || string(got.Version) != string(sv.Version) {
		t.Errorf("the original = %+v, %v", got, err)
	}
}

// TestStateVersionPlainReadWithKey reads, with a key configured, records
// written without one: by the store and in the format of the code before
// sealing (a gzip of the StateVersion's JSON), written here by hand.
func TestStateVersionPlainReadWithKey(t *testing.T) {
	dir := t.TempDir()
	byStore := stateVersion(1, "raw-1")
	byHand := stateVersion(2, "raw-2")
	byHand.CreatedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	withStore(t, dir, nil, func(s *Store) {
		putStateVersion(t, s, byStore)
		raw, err := json.Marshal(&byHand)
		if err != nil {
			t.Fatal(err)
		}
		v, err := compress(raw)
		if err != nil {
			t.Fatal(err)
		}
		err = s.db.Update(func(tx *bbolt.Tx) error {
			return tx.Bucket(stateVersionsBucket).Bucket(stackKey("infra", "net")).Put(serialKey(2), v)
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	withStore(t, dir, testKey(1), func(s *Store) {
		ctx := t.Context()
		for _, want := range []StateVersion{byStore, byHand} {
			got, err := s.GetStateVersion(ctx, "infra", "net", want.Serial)
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Version) != string(want.Version) || got.SHA256 != want.SHA256 {
				t.Errorf("serial %d = %+v", want.Serial, got)
			}
		}
		if got, err := s.LatestStateVersion(ctx, "infra", "net"); err != nil || !got.CreatedAt.Equal(byHand.CreatedAt) {
			t.Errorf("latest = %+v, %v", got, err)
		}
		// New versions are sealed next to the plain ones.
		sv, secret := secretStateVersion(3)
		putStateVersion(t, s, sv)
		if bytes.Contains(rawStateVersion(t, s, 3), []byte(secret)) {
			t.Error("a version stored with a key is not sealed")
		}
		list, err := s.ListStateVersions(ctx, "infra", "net", 0)
		if err != nil || !slices.Equal(serials(list), []uint64{3, 2, 1}) {
			t.Errorf("list = %v, %v", serials(list), err)
		}
	})
}
