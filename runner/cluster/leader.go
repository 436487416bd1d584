// Package cluster coordinates several driftgate nodes sharing one
// PostgreSQL database: which node leads (polls git, schedules drift
// checks, sends notifications).
package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// LeaderLockKey is the session advisory lock the leader holds ("driftgat"
// in ASCII, so it does not meet other users' keys).
const LeaderLockKey int64 = 0x64726966_74676174

// DefaultLease is how often a follower tries to take the lead, and how
// long it then waits before leading; a leader checks its hold every half
// lease. A leader that dies is replaced within about two leases of
// PostgreSQL noticing its connection is gone.
const DefaultLease = 2 * time.Second

// Elector campaigns for leadership over a connection of its own. The
// leader is whichever node holds LeaderLockKey; PostgreSQL releases the
// lock when the leader's session ends (the process died, the network
// dropped it), and the next node to try takes over.
type Elector struct {
	// URL is the database's connection URL.
	URL string
	// NodeID names this node in logs.
	NodeID string
	// Lease is how often leadership is checked and tried; zero means
	// DefaultLease.
	Lease time.Duration
	// Logger receives leadership changes; nil discards them.
	Logger *slog.Logger

	leading atomic.Bool
}

// Leading reports whether this node leads now.
func (e *Elector) Leading() bool { return e.leading.Load() }

// Run campaigns until ctx ends. While this node leads, lead runs with a
// context that is canceled as soon as leadership is lost; Run waits for it
// to return before campaigning again, so the old leader's duties stop
// before this node could lead a second time. Run returns ctx's error.
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context)) error {
	lease := e.Lease
	if lease <= 0 {
		lease = DefaultLease
	}
	logger := e.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	for {
		err := e.term(ctx, lease, logger, lead)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			logger.Warn("leader election: cannot reach the database; retrying", "node", e.NodeID, "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(lease):
		}
	}
}

// term connects, tries the lock until it is taken, then leads until the
// session fails or ctx ends.
func (e *Elector) term(ctx context.Context, lease time.Duration, logger *slog.Logger, lead func(context.Context)) error {
	conn, err := connect(ctx, e.URL, lease)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	for {
		var got bool
		if err := query(ctx, conn, lease, &got, "SELECT pg_try_advisory_lock($1)", LeaderLockKey); err != nil {
			return err
		}
		if got {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(lease):
		}
	}
	// A leader whose session the server dropped learns it within a
	// lease (it checks every half lease, each check bounded by half a
	// lease); waiting one lease before leading means the two never lead
	// at once.
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(lease):
	}
	logger.Info("leading the cluster", "node", e.NodeID)
	leadCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	e.leading.Store(true)
	go func() {
		defer wg.Done()
		lead(leadCtx)
	}()
	defer func() {
		stop()
		wg.Wait()
		e.leading.Store(false)
		logger.Info("no longer leading the cluster", "node", e.NodeID)
	}()
	tick := time.NewTicker(lease / 2)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			unlockCtx, cancel := context.WithTimeout(context.Background(), lease)
			defer cancel()
			_, _ = conn.Exec(unlockCtx, "SELECT pg_advisory_unlock($1)", LeaderLockKey)
			return ctx.Err()
		case <-tick.C:
			// Still holding the lock means this session still exists;
			// a session the server dropped fails here.
			var held bool
			err := query(ctx, conn, lease/2, &held,
				"SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND classid = ($1::bigint >> 32)::oid AND objid = ($1::bigint & 4294967295)::oid)", LeaderLockKey)
			if err == nil && !held {
				err = errors.New("leader lock lost")
			}
			if err != nil {
				return fmt.Errorf("leadership check: %w", err)
			}
		}
	}
}

func connect(ctx context.Context, url string, lease time.Duration) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("leader election: database URL: %w", err)
	}
	cfg.ConnectTimeout = 2 * lease
	ctx, cancel := context.WithTimeout(ctx, 2*lease)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("leader election: connect: %w", err)
	}
	return conn, nil
}

// query runs a one-value query bounded by timeout, so a hung network
// cannot keep a node believing it leads.
func query(ctx context.Context, conn *pgx.Conn, timeout time.Duration, dst any, sql string, args ...any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return conn.QueryRow(ctx, sql, args...).Scan(dst)
}
