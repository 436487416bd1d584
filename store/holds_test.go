package store

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func hold(repo, stack, runID string) Hold {
	return Hold{Repo: repo, Stack: stack, RunID: runID, Reason: "apply was interrupted"}
}

func TestHoldRoundTrip(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := t.Context()
	if _, err := s.GetHold(ctx, "infra", "net"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get of an unheld stack: err = %v", err)
	}

	h := hold("infra", "net", "01J00000000000000000000000")
	h.StatePulled, h.StateSerial, h.StateLineage = true, 7, "lin-1"
	h.Lock = &StateLock{
		ID: "6d0e7c5c-1b7f-4d0e-9b4e-2a1d7e1c0f3a", Who: "driftgate@host", Operation: "OperationTypeApply",
		Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Command: "terraform force-unlock 6d0e7c5c",
	}
	if err := s.HoldStack(ctx, &h); err != nil {
		t.Fatal(err)
	}
	if h.Since.IsZero() || time.Since(h.Since) > time.Minute {
		t.Errorf("since = %v, want now", h.Since)
	}
	got, err := s.GetHold(ctx, "infra", "net")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, h) {
		t.Errorf("get = %+v, want %+v", *got, h)
	}

	// Holding again replaces the hold and keeps a given Since.
	again := hold("infra", "net", "01J22222222222222222222222")
	again.Since = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	if err := s.HoldStack(ctx, &again); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetHold(ctx, "infra", "net"); !reflect.DeepEqual(*got, again) {
		t.Errorf("after replacing: %+v, want %+v", *got, again)
	}

	released, err := s.ReleaseStack(ctx, "infra", "net")
	if err != nil || !reflect.DeepEqual(*released, again) {
		t.Errorf("release = %+v, %v; want %+v", released, err, again)
	}
	if _, err := s.GetHold(ctx, "infra", "net"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get after release: err = %v", err)
	}
	if _, err := s.ReleaseStack(ctx, "infra", "net"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second release: err = %v", err)
	}
}

func TestListHolds(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := t.Context()
	if got, err := s.ListHolds(ctx); err != nil || len(got) != 0 {
		t.Fatalf("empty list = %v, %v", got, err)
	}
	// Added out of order; "infra-b" sorts after every stack of "infra".
	for _, st := range []struct{ repo, stack string }{
		{"infra-b", "a"}, {"infra", "net"}, {"", "local"}, {"infra", "dns"}, {"apps", "web"},
	} {
		h := hold(st.repo, st.stack, "01J00000000000000000000000")
		if err := s.HoldStack(ctx, &h); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ReleaseStack(ctx, "apps", "web"); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListHolds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, h := range got {
		keys = append(keys, repoKey(h.Repo)+"/"+h.Stack)
	}
	if want := []string{"infra/dns", "infra/net", "infra-b/a", "local/local"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("holds = %v, want %v", keys, want)
	}
	if h, err := s.GetHold(ctx, LocalRepo, "local"); err != nil || h.Repo != "" {
		t.Errorf("local hold by LocalRepo = %+v, %v", h, err)
	}
}

func TestHoldInvalid(t *testing.T) {
	s := openTestStore(t, Options{})
	ctx := t.Context()
	tests := []struct {
		name string
		h    Hold
	}{
		{"no stack", hold("infra", "", "01J00000000000000000000000")},
		{"NUL in repo", hold("in\x00fra", "net", "01J00000000000000000000000")},
		{"NUL in stack", hold("infra", "n\x00et", "01J00000000000000000000000")},
		{"no run", hold("infra", "net", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.HoldStack(ctx, &tt.h); !errors.Is(err, ErrInvalid) {
				t.Errorf("hold: err = %v, want ErrInvalid", err)
			}
			if tt.h.Since != (time.Time{}) {
				t.Errorf("a refused hold changed its argument: %+v", tt.h)
			}
		})
	}
	if got, _ := s.ListHolds(ctx); len(got) != 0 {
		t.Errorf("invalid holds stored: %+v", got)
	}
	if _, err := s.GetHold(ctx, "infra", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("get with no stack: err = %v", err)
	}
	if _, err := s.ReleaseStack(ctx, "a\x00b", "net"); !errors.Is(err, ErrInvalid) {
		t.Errorf("release with a NUL: err = %v", err)
	}
}

// TestMigrateHolds opens a database written by the schema before holds
// (v6), checks that the bucket is created after a backup and that the
// older data and new holds survive reopening.
func TestMigrateHolds(t *testing.T) {
	dir := t.TempDir()
	prev := migrations[:migrationIndex(t, migrateHolds)]
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
		if tx.Bucket(holdsBucket) != nil {
			return errors.New("holds bucket exists before its migration")
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
			h := hold("infra", "net", "01J00000000000000000000000")
			if err := s.HoldStack(t.Context(), &h); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ListHolds(t.Context())
		if err == nil {
			_, err = s.GetRepo(t.Context(), "keep")
		}
		if cerr := s.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Stack != "net" {
			t.Errorf("open %d: holds = %+v", i+1, got)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, bak(uint64(len(prev))))); err != nil {
		t.Errorf("no backup of the v%d database: %v", len(prev), err)
	}
}
