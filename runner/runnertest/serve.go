package runnertest

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/driftgate/driftgate/runner"
	"github.com/driftgate/driftgate/runner/api/apitest"
	"github.com/driftgate/driftgate/store"
)

// Served is the daemon's API served without running the daemon: no
// watcher fetches, no run starts, so what a test seeds in Store stays as
// seeded, and the API answers from it with the daemon's own code and
// words.
type Served struct {
	// URL is the API's base URL. apitest's tokens are accepted.
	URL string
	// Store is the daemon's store, for the test to seed.
	Store *store.Store
	// Handler is the API's handler, to serve requests without a network.
	Handler http.Handler
}

// Serve serves the API of a daemon watching (but never fetching) the
// repos named, over a store in a temp dir, with logger (nil: none).
// Nothing is fetched, so the daemon queues no run (a plan asked for is a
// conflict: the repo has not been fetched yet) and reports itself not
// ready.
func Serve(tb testing.TB, logger *slog.Logger, repos ...string) *Served {
	tb.Helper()
	st, err := store.Open(tb.TempDir(), store.Options{})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() {
		if err := st.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	cfg := runner.Config{DataDir: tb.TempDir(), Listen: "127.0.0.1:0", MaxParallelRuns: 1, Auth: apitest.Auth()}
	for _, name := range repos {
		cfg.Repos = append(cfg.Repos, runner.RepoConfig{Name: name, URL: "https://git.example.com/" + name + ".git", Branch: "main", PollInterval: pollInterval})
	}
	d, err := runner.New(cfg, st, NewTerraform(), logger)
	if err != nil {
		tb.Fatalf("new daemon: %v", err)
	}
	h := d.Handler()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return &Served{URL: srv.URL, Store: st, Handler: h}
}
