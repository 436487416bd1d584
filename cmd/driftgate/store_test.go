package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/store"
)

func TestStoreCheckCommand(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	run := store.Run{Repo: "infra", Stack: "net", Status: store.StatusPlanned, Error: "flip-me"}
	if err := st.CreateRun(context.Background(), &run); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "store", "check", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "schema v") || !strings.Contains(out, "1 runs") || !strings.Contains(out, "no problems found") {
		t.Fatalf("store check of a sound database: exit %d\n%s%s", code, out, errOut)
	}

	// Flip the bytes that open the run's JSON record.
	path := filepath.Join(dir, store.DBFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := bytes.Index(data, []byte("flip-me")); i >= 0; {
		start := bytes.LastIndexByte(data[:i], '{')
		copy(data[start:], "\x00\xff")
		next := bytes.Index(data[i+1:], []byte("flip-me"))
		if next < 0 {
			break
		}
		i += 1 + next
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, "store", "check", "--data-dir", dir)
	if code != 1 || !strings.Contains(out, "run "+run.ID+": does not decode") || !strings.Contains(errOut, "restore it from a backup") {
		t.Errorf("store check of a damaged record: exit %d\n%s%s", code, out, errOut)
	}
}

func TestStoreInitRefusesExistingDatabase(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "git"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(dir, store.Options{}); err == nil {
		t.Fatal("Open of a data dir with git/ but no database succeeded")
	}
	if code, out, errOut := runCLI(t, "store", "init", "--data-dir", dir); code != 0 || !strings.Contains(out, "created an empty database") {
		t.Fatalf("store init: exit %d\n%s%s", code, out, errOut)
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatalf("Open after store init: %v", err)
	}
	st.Close()
	if code, _, errOut := runCLI(t, "store", "init", "--data-dir", dir); code != 1 || !strings.Contains(errOut, "already holds a database") {
		t.Errorf("store init over a database: exit %d\n%s", code, errOut)
	}
}
