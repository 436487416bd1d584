package postgres

import (
	"context"
	"os"
	"testing"

	"github.com/driftgate/driftgate/test/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// openTest opens a store on a fresh database and closes it when tb ends.
func openTest(tb testing.TB, opts Options) (*Store, string) {
	tb.Helper()
	url := pgtest.NewDatabase(tb)
	return openURL(tb, url, opts), url
}

// openURL opens a store on url and closes it when tb ends.
func openURL(tb testing.TB, url string, opts Options) *Store {
	tb.Helper()
	s, err := Open(context.Background(), url, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}
