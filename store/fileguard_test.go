package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"
)

// filledStore makes a closed store in a fresh data dir holding n runs and
// returns the dir.
func filledStore(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.db.NoSync = true
	for i := range n {
		createRun(t, s, Run{Repo: "infra", Stack: fmt.Sprintf("stack-%d", i%10), Status: StatusPlanned,
			Commit: strings.Repeat("a", 40), Error: strings.Repeat("x", 200)})
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestOpenRefusesDamagedFile(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"truncated to half", func(t *testing.T, path string) {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}},
		{"truncated mid-page", func(t *testing.T, path string) {
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, fi.Size()-100); err != nil {
				t.Fatal(err)
			}
		}},
		{"meta pages overwritten", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			junk := []byte(strings.Repeat("\xff", 64))
			for _, off := range []int64{16, 4096 + 16} {
				if _, err := f.WriteAt(junk, off); err != nil {
					t.Fatal(err)
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filledStore(t, 2000)
			path := filepath.Join(dir, DBFile)
			tc.damage(t, path)
			s, err := Open(dir, Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open of a damaged file succeeded")
			}
			if !errors.Is(err, ErrDamaged) {
				t.Errorf("Open error = %v, want ErrDamaged", err)
			}
			for _, want := range []string{path, "backup", "driftgate store check"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Open error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestOpenRefusesMissingDatabaseOfAnInstall(t *testing.T) {
	tests := []struct {
		name    string
		marker  string // created in the data dir; "" for none
		dbBytes int    // -1: no database file
		opts    Options
		wantErr error
	}{
		{"fresh dir", "", -1, Options{}, nil},
		{"empty file in a fresh dir", "", 0, Options{}, nil},
		{"missing next to git mirrors", "git/", -1, Options{}, ErrNoDatabase},
		{"empty next to state", "state/", 0, Options{}, ErrNoDatabase},
		{"empty next to the state key", "statever.key", 0, Options{}, ErrNoDatabase},
		{"missing next to a migration backup", DBFile + ".bak-v6", -1, Options{}, ErrNoDatabase},
		{"missing next to terraform data, told to init", "tfdata/", -1, Options{InitEmpty: true}, nil},
		{"empty next to git mirrors, told to init", "git/", 0, Options{InitEmpty: true}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			switch {
			case strings.HasSuffix(tc.marker, "/"):
				if err := os.Mkdir(filepath.Join(dir, tc.marker), 0o700); err != nil {
					t.Fatal(err)
				}
			case tc.marker != "":
				if err := os.WriteFile(filepath.Join(dir, tc.marker), []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			path := filepath.Join(dir, DBFile)
			if tc.dbBytes >= 0 {
				if err := os.WriteFile(path, nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			s, err := Open(dir, tc.opts)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Open error = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				for _, want := range []string{path, "driftgate store init", "backup"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("Open error %q does not mention %q", err, want)
					}
				}
				if fi, statErr := os.Stat(path); tc.dbBytes < 0 && statErr == nil {
					t.Errorf("refused Open created %s (%d bytes)", path, fi.Size())
				}
				return
			}
			defer s.Close()
			if _, _, err := s.ListRuns(context.Background(), RunFilter{}); err != nil {
				t.Errorf("ListRuns on the new database: %v", err)
			}
		})
	}
}

// TestGuardedTurnsFaultsIntoErrors reads a file cut to half without the
// size check, as bbolt alone would: what bbolt does with the pages past the
// end (a panic on a page it cannot read) must come back as ErrDamaged, not
// kill the process.
func TestGuardedTurnsFaultsIntoErrors(t *testing.T) {
	if err := guarded(func() error { panic("page 7: invalid page type") }); !errors.Is(err, ErrDamaged) {
		t.Errorf("guarded(panic) = %v, want ErrDamaged", err)
	}
	dir := filledStore(t, 2000)
	path := filepath.Join(dir, DBFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	// Read-only, as store check opens files.
	var db *bbolt.DB
	err = guarded(func() error {
		var err error
		db, err = bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
		return err
	})
	if err == nil {
		defer db.Close()
		err = guarded(func() error {
			return db.View(func(tx *bbolt.Tx) error {
				return tx.Bucket(runsBucket).ForEach(func(_, _ []byte) error { return nil })
			})
		})
	}
	if !errors.Is(err, ErrDamaged) {
		t.Errorf("reading a file cut to half = %v, want ErrDamaged", err)
	}
}

// FuzzCheckBoltFile feeds checkBoltFile arbitrary files, seeded with a
// real database cut and overwritten at meta-page offsets: it must not
// panic, only accept a file whose meta page says its pages are all there,
// and refuse everything else with ErrDamaged.
func FuzzCheckBoltFile(f *testing.F) {
	dir := f.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		f.Fatal(err)
	}
	s.Close()
	whole, err := os.ReadFile(filepath.Join(dir, DBFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(whole, 0, 0)
	f.Add(whole, len(whole)/2, 0)
	f.Add(whole, 8192, 20)
	f.Add(whole, len(whole), 4096+20)
	f.Add([]byte{}, 0, 0)
	f.Fuzz(func(t *testing.T, data []byte, cut, flip int) {
		if cut > 0 && cut < len(data) {
			data = data[:cut]
		}
		data = bytes.Clone(data)
		if flip >= 0 && flip < len(data) {
			data[flip] ^= 0x5a
		}
		path := filepath.Join(t.TempDir(), DBFile)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		ps, size, err := checkBoltFile(path)
		if err != nil {
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("checkBoltFile = %v, want ErrDamaged", err)
			}
			return
		}
		if ps == 0 || size%int64(ps) != 0 || size < 2*int64(ps) {
			t.Fatalf("checkBoltFile accepted a %d-byte file with %d-byte pages", size, ps)
		}
	})
}
