package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	berrors "go.etcd.io/bbolt/errors"
)

func TestOpenCreatesPrivateDirAndFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested")
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()

	if got, want := s.Path(), filepath.Join(dir, DBFile); got != want {
		t.Errorf("Path() = %q, want %q", got, want)
	}
	for _, tc := range []struct {
		path string
		want os.FileMode
	}{
		{dir, 0o700},
		{s.Path(), 0o600},
	} {
		fi, err := os.Stat(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != tc.want {
			t.Errorf("mode of %s = %v, want %v", tc.path, got, tc.want)
		}
	}
}

func TestOpenDefaults(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want int
	}{
		{"zero retention means default", Options{}, DefaultRetention},
		{"explicit retention", Options{Retention: 7}, 7},
		{"negative retention disables pruning", Options{Retention: -1}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTestStore(t, tt.opts)
			if s.retention != tt.want {
				t.Errorf("retention = %d, want %d", s.retention, tt.want)
			}
		})
	}
}

func TestOpenLockedDataDir(t *testing.T) {
	dir := t.TempDir()
	first, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("first Open: %v", err)
	}

	const wait = 100 * time.Millisecond
	start := time.Now()
	second, err := Open(dir, Options{Timeout: wait})
	if err == nil {
		second.Close()
		t.Fatal("second Open of a held data dir succeeded")
	}
	// bbolt polls the lock every 50ms and gives up at the last poll that
	// fits in the timeout.
	if elapsed := time.Since(start); elapsed < wait/2 {
		t.Errorf("second Open failed after %v, want it to wait about %v", elapsed, wait)
	}
	if !errors.Is(err, ErrLocked) {
		t.Errorf("err = %v, want ErrLocked", err)
	}
	for _, want := range []string{
		"open store " + filepath.Join(dir, DBFile),
		"another driftgate process holds the data dir",
		"(waited 100ms)",
		"use another data_dir",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %q, want it to contain %q", err, want)
		}
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	third, err := Open(dir, Options{Timeout: wait})
	if err != nil {
		t.Fatalf("Open after the holder closed: %v", err)
	}
	third.Close()
}

func TestCanceledContext(t *testing.T) {
	s := openTestStore(t, Options{})
	run := createRun(t, s, Run{Repo: "infra", Stack: "net"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	tests := []struct {
		name string
		call func() error
	}{
		{"CreateRun", func() error { return s.CreateRun(ctx, &Run{Stack: "x"}) }},
		{"SaveRun", func() error { r := run; r.Status = StatusRunning; return s.SaveRun(ctx, &r) }},
		{"GetRun", func() error { _, err := s.GetRun(ctx, run.ID); return err }},
		{"ListRuns", func() error { _, _, err := s.ListRuns(ctx, RunFilter{}); return err }},
		{"LatestRun", func() error { _, err := s.LatestRun(ctx, "infra", "net"); return err }},
		{"PutPlan", func() error { return s.PutPlan(ctx, &Plan{RunID: run.ID}) }},
		{"GetPlan", func() error { _, err := s.GetPlan(ctx, run.ID); return err }},
		{"PutLog", func() error { return s.PutLog(ctx, run.ID, []byte("x")) }},
		{"PutRepo", func() error { return s.PutRepo(ctx, &RepoRecord{Name: "infra"}) }},
		{"ListStacks", func() error { _, err := s.ListStacks(ctx, ""); return err }},
		{"Prune", func() error { _, err := s.Prune(ctx, "infra", "net"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
		})
	}
}

// TestWriteFailureKeepsData fills a size-capped database, the stand-in for a
// full disk, and checks that the failed write is reported with what was
// being written and that nothing stored before it is lost.
func TestWriteFailureKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := open(dir, Options{}, openConfig{migrations: migrations, maxSize: 1 << 20})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	run := createRun(t, s, Run{Repo: "infra", Stack: "net"})
	small := &Plan{RunID: run.ID, JSON: []byte(`{"ok":true}`), File: []byte("small plan")}
	if err := s.PutPlan(ctx, small); err != nil {
		t.Fatalf("PutPlan(small): %v", err)
	}

	big := &Plan{RunID: run.ID, JSON: []byte(`{"big":true}`), File: bytes.Repeat([]byte{0xAB}, 4<<20)}
	err = s.PutPlan(ctx, big)
	if !errors.Is(err, berrors.ErrMaxSizeReached) {
		t.Fatalf("PutPlan(big) err = %v, want ErrMaxSizeReached", err)
	}
	if !strings.Contains(err.Error(), "put plan "+run.ID) {
		t.Errorf("err = %q, want it to say which plan was being written", err)
	}

	check := func(s *Store) {
		t.Helper()
		got, sum, err := s.GetPlanFile(ctx, run.ID)
		if err != nil {
			t.Fatalf("GetPlanFile after failed write: %v", err)
		}
		if string(got) != "small plan" || sum != small.SHA256 {
			t.Errorf("plan file = %q (%s), want the one stored before the failure", got, sum)
		}
		p, err := s.GetPlan(ctx, run.ID)
		if err != nil {
			t.Fatalf("GetPlan: %v", err)
		}
		if string(p.JSON) != `{"ok":true}` {
			t.Errorf("plan JSON = %s, want the one stored before the failure", p.JSON)
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	check(s)
}
