// Package riverq is driftgate's run queue across several nodes: each run is
// a River job (github.com/riverqueue/river) in the shared PostgreSQL
// database, worked by whichever node has a free worker. The queue knows
// run ids and priorities only; what a run does, and whether it may start,
// is the Handler's to decide.
package riverq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// QueueName is the River queue driftgate's runs go through.
const QueueName = "driftgate_runs"

// Priority orders runs waiting for a worker; River works lower numbers
// first.
type Priority int

// Priorities, as on one node: applies first, then commit and pull-request
// plans, then drift checks.
const (
	PriorityApply Priority = 1
	PriorityPlan  Priority = 2
	PriorityDrift Priority = 3
)

// ErrBusy, returned by a Handler, puts the run back to wait BusyRetry: its
// stack is running another run (on this node or another), or it is not yet
// allowed to start.
var ErrBusy = errors.New("run cannot start yet")

// BusyRetry is how long a run that could not start waits before it is
// offered again.
const BusyRetry = 2 * time.Second

// Handler works the run runID. Its context is canceled when the queue
// stops or when the run's job is canceled (from any node). An error other
// than ErrBusy is logged and the job retried with backoff, up to
// maxAttempts: return one only for failures of the machinery (the
// database), never for a run that ended badly (that is a result).
type Handler func(ctx context.Context, runID string) error

// runArgs is a run's job. Attempt separates a run's second job (a retry
// after its node died) from its first, which River may still hold.
type runArgs struct {
	RunID   string `json:"run_id"`
	Attempt int    `json:"attempt,omitempty"`
}

func (runArgs) Kind() string { return "driftgate_run" }

// maxAttempts bounds retries of a job whose handler failed.
const maxAttempts = 5

// Config configures a node's queue.
type Config struct {
	// NodeID names this node in River (its client id).
	NodeID string
	// Workers is how many runs this node works at once (>= 1).
	Workers int
	// Handler works each run.
	Handler Handler
	// Logger receives River's and the queue's logs; nil discards them.
	Logger *slog.Logger
	// FetchPollInterval is how often an idle node looks for jobs besides
	// River's notifications; zero means River's default.
	FetchPollInterval time.Duration
}

// Queue is one node's handle on the shared run queue.
type Queue struct {
	client *river.Client[pgx.Tx]
	logger *slog.Logger
}

// New builds the queue of one node on pool. Call Migrate first, once per
// database, and Start to begin working runs.
func New(pool *pgxpool.Pool, cfg Config) (*Queue, error) {
	if cfg.Handler == nil {
		return nil, errors.New("riverq: no handler")
	}
	if cfg.Workers < 1 {
		return nil, fmt.Errorf("riverq: %d workers: need at least 1", cfg.Workers)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &runWorker{handle: cfg.Handler}); err != nil {
		return nil, fmt.Errorf("riverq: %w", err)
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		ID:                cfg.NodeID,
		Logger:            logger,
		MaxAttempts:       maxAttempts,
		FetchPollInterval: cfg.FetchPollInterval,
		Queues:            map[string]river.QueueConfig{QueueName: {MaxWorkers: cfg.Workers}},
		Workers:           workers,
		// A run lasts as long as terraform does; the daemon bounds it.
		JobTimeout: -1,
	})
	if err != nil {
		return nil, fmt.Errorf("riverq: %w", err)
	}
	return &Queue{client: client, logger: logger}, nil
}

// Start begins working runs; it returns once the node is working.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("start run queue: %w", err)
	}
	return nil
}

// Stop stops taking runs and waits for the runs in progress, until ctx
// ends; then it cancels them and waits for their handlers to return.
func (q *Queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if err == nil {
		return nil
	}
	cancelCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if cerr := q.client.StopAndCancel(cancelCtx); cerr != nil {
		return fmt.Errorf("stop run queue: %w", errors.Join(err, cerr))
	}
	return nil
}

// Enqueue offers the run runID to every node's workers and returns its
// job's id. A run already waiting with the same attempt is not offered
// twice: the existing job's id is returned.
func (q *Queue) Enqueue(ctx context.Context, runID string, p Priority, attempt int) (int64, error) {
	res, err := q.client.Insert(ctx, runArgs{RunID: runID, Attempt: attempt}, &river.InsertOpts{
		Queue:    QueueName,
		Priority: int(p),
		UniqueOpts: river.UniqueOpts{
			ByArgs:  true,
			ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled},
		},
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue run %s: %w", runID, err)
	}
	return res.Job.ID, nil
}

// Cancel cancels the job jobID: a waiting job is dropped, a running one has
// its handler's context canceled on whichever node runs it.
func (q *Queue) Cancel(ctx context.Context, jobID int64) error {
	if _, err := q.client.JobCancel(ctx, jobID); err != nil && !errors.Is(err, river.ErrNotFound) {
		return fmt.Errorf("cancel job %d: %w", jobID, err)
	}
	return nil
}

// runWorker hands River's jobs to the Handler.
type runWorker struct {
	river.WorkerDefaults[runArgs]
	handle Handler
}

func (w *runWorker) Work(ctx context.Context, job *river.Job[runArgs]) error {
	err := w.handle(context.WithValue(ctx, jobKey{}, job.ID), job.Args.RunID)
	switch {
	case errors.Is(err, ErrBusy):
		return river.JobSnooze(BusyRetry)
	case err != nil && ctx.Err() != nil:
		// Stopped or canceled: the handler recorded what became of the
		// run; River need not retry it.
		return river.JobCancel(err)
	}
	return err
}

// jobKey keys the id of the job a Handler works in its context.
type jobKey struct{}

// JobID is the id of the job whose run a Handler works with ctx, for
// Cancel from any node; false outside a Handler.
func JobID(ctx context.Context) (int64, bool) {
	id, ok := ctx.Value(jobKey{}).(int64)
	return id, ok
}

// CanceledByJobCancel reports whether ctx, a Handler's, ended because its
// job was canceled (Cancel, from any node), as opposed to the queue
// stopping.
func CanceledByJobCancel(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), rivertype.ErrJobCancelledRemotely)
}

// Migrate brings River's tables in the database of pool up to date, once
// even when several nodes start together: the migration runs under a
// session advisory lock.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate run queue: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLockKey); err != nil {
		return fmt.Errorf("migrate run queue: lock: %w", err)
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLockKey); err != nil {
			conn.Conn().Close(context.Background()) // a closed session drops its locks
		}
	}()
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return fmt.Errorf("migrate run queue: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate run queue: %w", err)
	}
	return nil
}

// migrateLockKey is the advisory lock taken while River's schema migrates
// ("drift" "river" in ASCII, so it does not meet other users' keys).
const migrateLockKey int64 = 0x64726966_72697672
