package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/store/postgres"
	"github.com/driftgate/driftgate/test/pgtest"
)

// TestMain stops the tests' shared PostgreSQL (pgtest) when they end.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestStoreCopyCommand(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	run := store.Run{Repo: "infra", Stack: "net", Status: store.StatusPlanned}
	if err := st.CreateRun(context.Background(), &run); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	url := pgtest.NewDatabase(t)
	t.Setenv("TEST_DB_URL", url)

	code, out, errOut := runCLI(t, "store", "copy", "--from", dir, "--to-env", "TEST_DB_URL")
	if code != 0 || !strings.Contains(out, "copied 1 records") {
		t.Fatalf("store copy: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "store", "copy", "--from", dir, "--to-env", "TEST_DB_URL")
	if code != 0 || !strings.Contains(out, "copied 0 records") || !strings.Contains(out, "1 already there") {
		t.Fatalf("second store copy: exit %d\n%s%s", code, out, errOut)
	}
	pg, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if got, err := pg.GetRun(context.Background(), run.ID); err != nil || got.Stack != "net" {
		t.Fatalf("copied run: %+v, %v", got, err)
	}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no from", []string{"--to-env", "TEST_DB_URL"}, "--from DATA_DIR is required"},
		{"no database", []string{"--from", t.TempDir(), "--to-env", "TEST_DB_URL"}, "names the daemon's data_dir"},
		{"empty env", []string{"--from", dir, "--to-env", "TEST_UNSET_DB_URL"}, "TEST_UNSET_DB_URL is empty"},
	}
	held, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	code, out, errOut = runCLI(t, "store", "copy", "--from", dir, "--to-env", "TEST_DB_URL")
	if code == 0 || !strings.Contains(errOut, "another driftgate process holds the data dir") {
		t.Errorf("store copy of a held data dir: exit %d, want a refusal\n%s%s", code, out, errOut)
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"store", "copy"}, tt.args...)...)
			if code == 0 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, want an error saying %q\n%s%s", code, tt.want, out, errOut)
			}
		})
	}
}
