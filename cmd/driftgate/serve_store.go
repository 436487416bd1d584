package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/runner"
	"github.com/driftgate/driftgate/runner/riverq"
	"github.com/driftgate/driftgate/store"
	"github.com/driftgate/driftgate/store/postgres"
)

// serveDB is the database serve runs on: the bbolt file in data_dir (one
// node), or PostgreSQL shared by several nodes, whose runs then go through
// its River queue (cluster).
type serveDB struct {
	store serveStore
	// newDaemon builds the daemon on the store.
	newDaemon func(rc runner.Config) (*runner.Daemon, error)
	// cluster is the daemon's cluster settings; nil on bbolt.
	cluster *runner.ClusterConfig
	close   func()
}

// openServeDB opens the database of cfg's database block: with type =
// "postgres" it migrates the store's schema and River's, each under an
// advisory lock so that nodes starting together migrate once.
func openServeDB(ctx context.Context, cfg *Config, pl *tfrun.Planner, logger *slog.Logger) (*serveDB, error) {
	if cfg.Database.Type != databasePostgres {
		st, err := store.Open(cfg.DataDir, store.Options{Logger: logger, EncryptionKey: cfg.Encryption.Key})
		if err != nil {
			return nil, err
		}
		return &serveDB{
			store:     st,
			newDaemon: func(rc runner.Config) (*runner.Daemon, error) { return runner.New(rc, st, pl, logger) },
			close:     func() { _ = st.Close() },
		}, nil
	}
	url := cfg.Database.URL
	st, err := postgres.Open(ctx, url, postgres.Options{Logger: logger, EncryptionKey: cfg.Encryption.Key})
	if err != nil {
		return nil, fmt.Errorf("open the PostgreSQL database at $%s: %w", cfg.Database.URLEnv, err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("connect the run queue to the PostgreSQL database at $%s: %w", cfg.Database.URLEnv, err)
	}
	if err := riverq.Migrate(ctx, pool); err != nil {
		pool.Close()
		_ = st.Close()
		return nil, fmt.Errorf("PostgreSQL database at $%s: %w", cfg.Database.URLEnv, err)
	}
	return &serveDB{
		store:     st,
		newDaemon: func(rc runner.Config) (*runner.Daemon, error) { return runner.New(rc, st, pl, logger) },
		cluster:   &runner.ClusterConfig{Pool: pool, URL: url},
		close: func() {
			pool.Close()
			_ = st.Close()
		},
	}, nil
}
