package runner

import (
	"os"
	"testing"

	"github.com/driftgate/driftgate/test/pgtest"
)

// TestMain stops the PostgreSQL server the cluster tests share.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
