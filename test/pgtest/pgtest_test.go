package pgtest

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestNewDatabaseIsFreshAndWritable(t *testing.T) {
	ctx := context.Background()
	urls := []string{NewDatabase(t), NewDatabase(t)}
	if urls[0] == urls[1] {
		t.Fatalf("two databases share the URL %s", urls[0])
	}
	for _, u := range urls {
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "CREATE TABLE t (x int)"); err != nil {
			t.Errorf("%s: %v", u, err)
		}
		var version string
		if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: PostgreSQL %s", u, version)
		conn.Close(ctx)
	}
}
