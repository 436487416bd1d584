package pgtest

import (
	"context"
	"fmt"
	"os"
	"strings"
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

// recorder records Skipf and Fatalf instead of ending the test.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

// TestWithoutPostgreSQL: without a server the tests skip, saying how to get
// one, unless EnvRequire is set, when they fail.
func TestWithoutPostgreSQL(t *testing.T) {
	t.Setenv(EnvBinDir, t.TempDir())
	t.Setenv(EnvRequire, "")
	r := &recorder{TB: t}
	binDir(r)
	if !strings.Contains(r.skipped, "apt-get install postgresql") || r.failed != "" {
		t.Errorf("without PostgreSQL: skipped %q, failed %q; want a skip saying how to install it", r.skipped, r.failed)
	}
	t.Setenv(EnvRequire, "1")
	r = &recorder{TB: t}
	binDir(r)
	if !strings.Contains(r.failed, EnvRequire) || r.skipped != "" {
		t.Errorf("required and missing: skipped %q, failed %q; want a failure naming %s", r.skipped, r.failed, EnvRequire)
	}
}
