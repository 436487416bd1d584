package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// flipRecord overwrites, in the closed database file at path, the first
// bytes of every copy of the JSON record that contains marker, so that it
// no longer decodes. bbolt keeps no checksum of its data pages, so the
// file still opens: this is what a flipped bit on disk looks like.
func flipRecord(t *testing.T, path, marker string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte(marker))
		if j < 0 {
			break
		}
		start := bytes.LastIndexByte(data[:i+j], '{')
		copy(data[start:], "\x00\xff\x13")
		n++
		i += j + len(marker)
	}
	if n == 0 {
		t.Fatalf("%q not found in %s", marker, path)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestListsSkipUnreadableRecords(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var runs []Run
	for i := range 5 {
		runs = append(runs, createRun(t, s, Run{Repo: "infra", Stack: fmt.Sprintf("s%d", i%2), Operation: "plan", Status: StatusRunning}))
	}
	for _, name := range []string{"infra", "apps-repomark"} {
		if err := s.PutRepo(ctx, &RepoRecord{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"net", "db"} {
		if err := s.PutStack(ctx, &StackRecord{Repo: "infra", Name: name, Dir: "stacks/" + name + "-marker"}); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordDriftCheck(ctx, &StackDrift{Repo: "infra", Stack: name, Status: DriftInSync, Error: name + "-driftmark"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	bad := runs[2]
	path := filepath.Join(dir, DBFile)
	flipRecord(t, path, `"id":"`+bad.ID+`"`)
	flipRecord(t, path, "stacks/db-marker")
	flipRecord(t, path, "db-driftmark")
	flipRecord(t, path, `"apps-repomark"`)

	var logs bytes.Buffer
	s, err = Open(dir, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("Open after flipping bytes in records: %v", err)
	}
	defer s.Close()

	var want []string
	for _, r := range slices.Backward(runs) {
		if r.ID != bad.ID {
			want = append(want, r.ID)
		}
	}
	for _, f := range []RunFilter{{}, {Repo: "infra"}, {Status: StatusRunning}, {Operation: "plan"}} {
		got, _, err := s.ListRuns(ctx, f)
		if err != nil {
			t.Fatalf("ListRuns(%+v): %v", f, err)
		}
		if !slices.Equal(runIDs(got), want) {
			t.Errorf("ListRuns(%+v) = %v, want %v", f, runIDs(got), want)
		}
	}
	if _, err := s.GetRun(ctx, bad.ID); err == nil {
		t.Error("GetRun of the damaged run succeeded")
	}
	// The queue at start-up: the damaged run is left out, the others go on.
	active, err := s.ActiveRuns(ctx)
	if err != nil || len(active) != len(runs)-1 {
		t.Errorf("ActiveRuns = %d runs, %v; want %d", len(active), err, len(runs)-1)
	}
	interrupted, err := s.UpdateActiveRuns(ctx, func(r *Run) (bool, error) {
		r.Status = StatusInterrupted
		return true, nil
	})
	if err != nil || len(interrupted) != len(runs)-1 {
		t.Errorf("UpdateActiveRuns = %d runs, %v; want %d", len(interrupted), err, len(runs)-1)
	}
	stacks, err := s.ListStacks(ctx, "")
	if err != nil || len(stacks) != 1 || stacks[0].Name != "net" {
		t.Errorf("ListStacks = %v, %v; want only net", stacks, err)
	}
	repos, err := s.ListRepos(ctx)
	if err != nil || len(repos) != 1 || repos[0].Name != "infra" {
		t.Errorf("ListRepos = %v, %v; want only infra", repos, err)
	}
	drift, err := s.ListStackDrift(ctx)
	if err != nil || len(drift) != 1 || drift[0].Stack != "net" {
		t.Errorf("ListStackDrift = %v, %v; want only net", drift, err)
	}
	for _, want := range []string{"skipping unreadable record", "bucket=runs", "key=" + bad.ID, "bucket=stacks", "bucket=drift_status", "bucket=repos"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log does not contain %q:\n%s", want, logs.String())
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	rep, err := Check(ctx, path, time.Second)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if rep.Runs != 5 {
		t.Errorf("Check counted %d runs, want 5", rep.Runs)
	}
	for _, want := range []string{"run " + bad.ID + ": does not decode", "stacks/", "drift_status/"} {
		if !slices.ContainsFunc(rep.Problems, func(p string) bool { return strings.Contains(p, want) }) {
			t.Errorf("Check problems %q do not mention %q", rep.Problems, want)
		}
	}
}

func TestCheckSoundDatabase(t *testing.T) {
	dir := filledStore(t, 50)
	rep, err := Check(context.Background(), filepath.Join(dir, DBFile), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 0 || rep.Runs != 50 || rep.SchemaVersion != current {
		t.Errorf("Check = %+v, want 50 runs, schema v%d, no problems", rep, current)
	}
}

func TestCheckRefusesWhatItCannotRead(t *testing.T) {
	dir := filledStore(t, 500)
	path := filepath.Join(dir, DBFile)
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Check(context.Background(), path, 50*time.Millisecond); !errors.Is(err, ErrLocked) {
		t.Errorf("Check of a held file: %v, want ErrLocked", err)
	}
	s.Close()
	fi, _ := os.Stat(path)
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	if _, err := Check(context.Background(), path, time.Second); !errors.Is(err, ErrDamaged) {
		t.Errorf("Check of a truncated file: %v, want ErrDamaged", err)
	}
}
