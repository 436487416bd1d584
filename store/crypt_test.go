package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"go.etcd.io/bbolt"
)

// testKey returns an encryption key made of b.
func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, EncryptionKeySize) }

// withStore opens the store in dir, calls fn and closes it, so that the
// test can open dir again with other options.
func withStore(tb testing.TB, dir string, key []byte, fn func(s *Store)) {
	tb.Helper()
	s, err := Open(dir, Options{EncryptionKey: key})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	}()
	fn(s)
}

// rawPlanFile returns the value stored in plan_files for a run.
func rawPlanFile(tb testing.TB, s *Store, runID string) []byte {
	tb.Helper()
	var v []byte
	err := s.db.View(func(tx *bbolt.Tx) error {
		v = bytes.Clone(tx.Bucket(planFilesBucket).Get(ulid.MustParse(runID).Bytes()))
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// setRawPlanFile replaces the value stored in plan_files for a run.
func setRawPlanFile(tb testing.TB, s *Store, runID string, v []byte) {
	tb.Helper()
	err := s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(planFilesBucket).Put(ulid.MustParse(runID).Bytes(), v)
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// putPlanFile creates a run and stores file as its plan file, the daemon's
// way (FinishRun) or the API's (PutPlan).
func putPlanFile(tb testing.TB, s *Store, finish bool, file []byte) Run {
	tb.Helper()
	run := createRun(tb, s, Run{Repo: "infra", Stack: "net", Status: StatusRunning})
	plan := &Plan{RunID: run.ID, JSON: []byte(`{"redacted":true}`), Text: []byte("Plan: 1 to add."), File: file}
	if finish {
		run.Status, run.FinishedAt = StatusPlanned, time.Now().UTC()
		if err := s.FinishRun(tb.Context(), &run, plan, nil); err != nil {
			tb.Fatalf("FinishRun: %v", err)
		}
		return run
	}
	if err := s.PutPlan(tb.Context(), plan); err != nil {
		tb.Fatalf("PutPlan: %v", err)
	}
	return run
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// planFile is a stand-in for a terraform plan file: a zip archive.
var planFile = append([]byte("PK\x03\x04"), bytes.Repeat([]byte("tfplan\x00\xff"), 100)...)

func TestSealedPlanFileRoundTrip(t *testing.T) {
	for _, finish := range []bool{false, true} {
		t.Run(map[bool]string{false: "PutPlan", true: "FinishRun"}[finish], func(t *testing.T) {
			s := openTestStore(t, Options{EncryptionKey: testKey(1)})
			run := putPlanFile(t, s, finish, planFile)

			gotFile, gotSHA, err := s.GetPlanFile(t.Context(), run.ID)
			if err != nil {
				t.Fatalf("GetPlanFile: %v", err)
			}
			if !bytes.Equal(gotFile, planFile) || gotSHA != hexSHA256(planFile) {
				t.Errorf("GetPlanFile = %d bytes, %s; want %d bytes, %s (sha256 of the plain file)",
					len(gotFile), gotSHA, len(planFile), hexSHA256(planFile))
			}
			p, err := s.GetPlan(t.Context(), run.ID)
			if err != nil || p.SHA256 != hexSHA256(planFile) || p.FileSize != int64(len(planFile)) || string(p.Text) != "Plan: 1 to add." {
				t.Errorf("GetPlan = %+v, %v; want the plain file's sha256 and size", p, err)
			}

			raw := rawPlanFile(t, s, run.ID)
			if !bytes.HasPrefix(raw, []byte("DGE1")) {
				t.Errorf("stored plan file starts %q, want the sealed header DGE1", raw[:min(len(raw), 8)])
			}
			if want := 4 + 12 + len(planFile) + 16; len(raw) != want {
				t.Errorf("stored plan file is %d bytes, want %d (header, nonce, ciphertext, tag)", len(raw), want)
			}
			if bytes.Contains(raw, planFile[4:40]) {
				t.Error("stored plan file holds the plain bytes")
			}
		})
	}
}

func TestEncryptionKeyConfiguredLater(t *testing.T) {
	dir := t.TempDir()
	plainFile := append([]byte("PK\x03\x04"), "written without a key"...)
	sealedFile := append([]byte("PK\x03\x04"), "written with a key"...)
	var plainRun, sealedRun Run
	withStore(t, dir, nil, func(s *Store) {
		plainRun = putPlanFile(t, s, false, plainFile)
	})
	withStore(t, dir, testKey(1), func(s *Store) {
		sealedRun = putPlanFile(t, s, true, sealedFile)
		if raw := rawPlanFile(t, s, plainRun.ID); !bytes.Equal(raw, plainFile) {
			t.Errorf("old plan file stored as %q, want it left plain", raw)
		}
		if raw := rawPlanFile(t, s, sealedRun.ID); !isSealed(raw) {
			t.Errorf("new plan file stored as %q, want it sealed", raw)
		}
	})

	tests := []struct {
		name     string
		key      []byte
		run      string
		want     []byte
		wantErrs []error
		wantMsg  string
	}{
		{"key reads old plain file", testKey(1), plainRun.ID, plainFile, nil, ""},
		{"key reads new sealed file", testKey(1), sealedRun.ID, sealedFile, nil, ""},
		{"no key reads old plain file", nil, plainRun.ID, plainFile, nil, ""},
		{
			"no key on sealed file", nil, sealedRun.ID, nil, []error{ErrEncrypted},
			"plan file of run " + sealedRun.ID + " is encrypted, and the store has no encryption key; configure the encryption key that wrote it",
		},
		{"wrong key reads old plain file", testKey(2), plainRun.ID, plainFile, nil, ""},
		{"wrong key on sealed file", testKey(2), sealedRun.ID, nil, []error{ErrDecrypt, ErrPlanTampered}, "sealed with another key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			withStore(t, dir, tt.key, func(s *Store) {
				got, sum, err := s.GetPlanFile(t.Context(), tt.run)
				for _, want := range tt.wantErrs {
					if !errors.Is(err, want) {
						t.Errorf("err = %v, want %v", err, want)
					}
				}
				if tt.wantErrs == nil && err != nil {
					t.Fatalf("GetPlanFile: %v", err)
				}
				if err != nil && !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("err = %q, want it to say %q", err, tt.wantMsg)
				}
				if !bytes.Equal(got, tt.want) || (tt.want != nil && sum != hexSHA256(tt.want)) {
					t.Errorf("GetPlanFile = %q, %s; want %q", got, sum, tt.want)
				}
			})
		})
	}
}

func TestSealedPlanFileTampered(t *testing.T) {
	flip := func(i int) func([]byte) []byte {
		return func(b []byte) []byte {
			if i < 0 {
				i += len(b)
			}
			b[i] ^= 0x01
			return b
		}
	}
	tests := []struct {
		name        string
		mutate      func([]byte) []byte
		wantDecrypt bool // the sealed value fails to open, rather than to hash
	}{
		{"ciphertext byte", flip(20), true},
		{"nonce byte", flip(5), true},
		{"tag byte", flip(-1), true},
		{"version byte", func(b []byte) []byte { b[3] = '2'; return b }, true},
		{"truncated tag", func(b []byte) []byte { return b[:len(b)-1] }, true},
		{"header only", func(b []byte) []byte { return b[:4] }, true},
		{"header stripped", func(b []byte) []byte { return b[4:] }, false},
		{"replaced with plain bytes", func([]byte) []byte { return []byte("PK\x03\x04 another plan") }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTestStore(t, Options{EncryptionKey: testKey(1)})
			run := putPlanFile(t, s, false, planFile)
			setRawPlanFile(t, s, run.ID, tt.mutate(rawPlanFile(t, s, run.ID)))

			file, sum, err := s.GetPlanFile(t.Context(), run.ID)
			if !errors.Is(err, ErrPlanTampered) {
				t.Fatalf("err = %v, want ErrPlanTampered", err)
			}
			if got := errors.Is(err, ErrDecrypt); got != tt.wantDecrypt {
				t.Errorf("errors.Is(err, ErrDecrypt) = %t, want %t; err = %v", got, tt.wantDecrypt, err)
			}
			if file != nil || sum != "" {
				t.Errorf("GetPlanFile returned %d bytes, %q with the error; want nothing", len(file), sum)
			}
		})
	}
}

func TestSealedPlanFileMovedToAnotherRun(t *testing.T) {
	s := openTestStore(t, Options{EncryptionKey: testKey(1)})
	from := putPlanFile(t, s, false, planFile)
	to := putPlanFile(t, s, false, append([]byte("PK\x03\x04"), "the other run's plan"...))
	// Move the sealed file and its metadata, so that the sha256 would match.
	err := s.db.Update(func(tx *bbolt.Tx) error {
		fromKey, toKey := ulid.MustParse(from.ID).Bytes(), ulid.MustParse(to.ID).Bytes()
		for _, name := range [][]byte{plansBucket, planFilesBucket} {
			b := tx.Bucket(name)
			if err := b.Put(toKey, bytes.Clone(b.Get(fromKey))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	file, _, err := s.GetPlanFile(t.Context(), to.ID)
	if !errors.Is(err, ErrPlanTampered) || !errors.Is(err, ErrDecrypt) {
		t.Fatalf("GetPlanFile of the run the file was moved to = %d bytes, %v; want ErrPlanTampered and ErrDecrypt", len(file), err)
	}
	if _, _, err := s.GetPlanFile(t.Context(), from.ID); err != nil {
		t.Errorf("GetPlanFile of the run the file was copied from: %v", err)
	}
}

func TestPlanFileSecretNotInDatabaseFile(t *testing.T) {
	const secret = "db_password=hunter2-f2b7c1e0"
	file := append([]byte("PK\x03\x04"), strings.Repeat("sensitive:"+secret+"\n", 50)...)
	tests := []struct {
		name       string
		key        []byte
		finish     bool
		wantSecret bool
	}{
		{"no key shows the secret", nil, false, true},
		{"key with PutPlan", testKey(1), false, false},
		{"key with FinishRun", testKey(1), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			withStore(t, dir, tt.key, func(s *Store) {
				putPlanFile(t, s, tt.finish, file)
			})
			raw, err := os.ReadFile(filepath.Join(dir, DBFile))
			if err != nil {
				t.Fatal(err)
			}
			if got := bytes.Contains(raw, []byte(secret)); got != tt.wantSecret {
				t.Errorf("database file contains the planted secret: %t, want %t", got, tt.wantSecret)
			}
		})
	}
}

func TestOpenEncryptionKeyLength(t *testing.T) {
	tests := []struct {
		name    string
		key     []byte
		wantErr bool
	}{
		{"nil", nil, false},
		{"empty", []byte{}, false},
		{"32 bytes", testKey(1), false},
		{"1 byte", []byte{1}, true},
		{"16 bytes (AES-128)", bytes.Repeat([]byte{1}, 16), true},
		{"31 bytes", bytes.Repeat([]byte{1}, 31), true},
		{"33 bytes", bytes.Repeat([]byte{1}, 33), true},
		{"64 bytes (hex not decoded)", []byte(strings.Repeat("ab", 32)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			s, err := Open(dir, Options{EncryptionKey: tt.key})
			if err == nil {
				t.Cleanup(func() { _ = s.Close() })
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "needs exactly 32") {
				t.Fatalf("Open err = %v, want ErrInvalid saying the key needs exactly 32 bytes", err)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Open with a bad key created the data dir (stat: %v)", err)
			}
		})
	}
}

func TestSealOpen(t *testing.T) {
	keyed := openTestStore(t, Options{EncryptionKey: testKey(1)})
	plain := openTestStore(t, Options{})
	ad, otherAD := sealAD(planFilesBucket, []byte{1}), sealAD(planFilesBucket, []byte{2})
	value := []byte(`{"secret":"s3cr3t"}`)

	a, err := keyed.seal(ad, value)
	if err != nil {
		t.Fatal(err)
	}
	b, err := keyed.seal(ad, value)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Error("two seals of one value are equal; want a fresh nonce each time")
	}
	for _, sealed := range [][]byte{a, b} {
		if got, err := keyed.open(ad, sealed); err != nil || !bytes.Equal(got, value) {
			t.Errorf("open = %q, %v; want %q", got, err, value)
		}
	}
	if _, err := keyed.open(otherAD, a); !errors.Is(err, ErrDecrypt) {
		t.Errorf("open with other additional data: err = %v, want ErrDecrypt", err)
	}
	if _, err := keyed.open(sealAD(planJSONBucket, []byte{1}), a); !errors.Is(err, ErrDecrypt) {
		t.Errorf("open as a value of another bucket: err = %v, want ErrDecrypt", err)
	}
	if _, err := plain.open(ad, a); !errors.Is(err, ErrEncrypted) {
		t.Errorf("open without a key: err = %v, want ErrEncrypted", err)
	}

	// Without a key, values pass through both ways.
	if got, err := plain.seal(ad, value); err != nil || !bytes.Equal(got, value) {
		t.Errorf("seal without a key = %q, %v; want the value as is", got, err)
	}
	for _, s := range []*Store{plain, keyed} {
		if got, err := s.open(ad, value); err != nil || !bytes.Equal(got, value) {
			t.Errorf("open of a plain value = %q, %v; want it as is", got, err)
		}
	}
	if _, err := plain.seal(ad, []byte("DGE1 lookalike")); !errors.Is(err, ErrInvalid) {
		t.Errorf("seal without a key of a value starting with the magic: err = %v, want ErrInvalid", err)
	}
}

func FuzzOpenSealed(f *testing.F) {
	s := openTestStore(f, Options{EncryptionKey: testKey(1)})
	ad := sealAD(planFilesBucket, make([]byte, 16))
	value := []byte("PK\x03\x04 plan")
	sealed, err := s.seal(ad, value)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][]byte{sealed, value, nil, []byte("DGE"), []byte("DGE1"), []byte("DGE2"), append([]byte("DGE1"), make([]byte, 28)...)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, stored []byte) {
		got, err := s.open(ad, stored)
		switch {
		case err != nil:
			if !errors.Is(err, ErrDecrypt) {
				t.Fatalf("open(%q) err = %v, want ErrDecrypt", stored, err)
			}
		case !isSealed(stored):
			if !bytes.Equal(got, stored) {
				t.Fatalf("open(%q) = %q, want the plain value as is", stored, got)
			}
		case !bytes.Equal(got, value):
			// Only the seed made by seal opens; each fuzz worker seals
			// it with its own nonce, so compare what it opens to.
			t.Fatalf("open(%q) = %q: a value not made by seal opened", stored, got)
		}
	})
}
