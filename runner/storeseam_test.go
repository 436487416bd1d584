package runner

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/store/postgres"
)

// The daemon takes the store through daemonStore, which names only what
// every store has (the bbolt store here, store/postgres too): the rules
// that decide live in runner, on the store's transactional primitives.
var (
	_ daemonStore = (*store.Store)(nil)
	_ daemonStore = (*postgres.Store)(nil)
)

// bboltless is a store with only what daemonStore names: no Backup,
// Stats or Path, as the PostgreSQL store.
type bboltless struct{ daemonStore }

// TestBackupOnlyFromBbolt: GET /api/v1/backup streams the bbolt store's
// copy; a store that cannot copy itself answers 501, naming pg_dump.
func TestBackupOnlyFromBbolt(t *testing.T) {
	st := openStore(t)
	for _, tt := range []struct {
		name string
		st   daemonStore
		code int
		body string
	}{
		{"bbolt", st, http.StatusOK, ""},
		{"without Backup", bboltless{st}, http.StatusNotImplemented, "pg_dump"},
	} {
		d, err := New(Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", MaxParallelRuns: 1, Auth: api.StaticToken("t")},
			tt.st, newFakeTerraform(), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodGet, "/api/v1/backup", nil)
		req.Header.Set("Authorization", "Bearer t")
		rec := httptest.NewRecorder()
		d.Handler().ServeHTTP(rec, req)
		if rec.Code != tt.code || !strings.Contains(rec.Body.String(), tt.body) {
			t.Errorf("%s: GET /api/v1/backup = %d %.200q, want %d saying %q", tt.name, rec.Code, rec.Body.String(), tt.code, tt.body)
		}
	}
}
