// Package storetest is the conformance suite every driftgate store runs:
// the bbolt store in package store and the PostgreSQL store in
// store/postgres. Run drives one implementation through every method of
// Store, and every expectation in it is the documented behaviour of the
// bbolt store (its doc comments and its tests), so that a caller cannot
// tell the two apart. Where the stores may differ without a caller
// noticing, the suite allows it: stored times need only keep microseconds
// (PostgreSQL's precision) and may come back in another zone, an empty map
// or slice may come back nil, and stored JSON (state version bodies,
// delivery events) may come back in another layout of the same value.
//
// Run it from a test of the store's package:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, opts storetest.Options) storetest.Store {
//			// open a new database, or opts.Reopen's, with opts'
//			// retention and key; close it at t.Cleanup
//		})
//	}
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/driftgate/driftgate/store"
)

// Store is the method set both stores implement: the runs and their
// transactional primitives, repos and stacks, plans and logs, state
// versions, drift, holds, the audit log, notification deliveries, the forge
// outbox, PR records and webhook delivery ids. The rule methods (approve,
// claim, cancel, ...) are the runner's, written on the primitives; the
// bbolt-only methods (Stats, Path, Backup) are not part of it.
type Store interface {
	CreateRun(ctx context.Context, r *store.Run) error
	SaveRun(ctx context.Context, r *store.Run) error
	GetRun(ctx context.Context, id string) (*store.Run, error)
	LatestRun(ctx context.Context, repo, stack string) (*store.Run, error)
	ListRuns(ctx context.Context, f store.RunFilter) ([]store.Run, string, error)
	ActiveRuns(ctx context.Context) ([]store.Run, error)
	FinishRun(ctx context.Context, r *store.Run, plan *store.Plan, log []byte) error
	Prune(ctx context.Context, repo, stack string) (int, error)

	UpdateRun(ctx context.Context, id string, change func(*store.Run) error) (*store.Run, error)
	UpdateStackRuns(ctx context.Context, repo, stack string, statuses []store.RunStatus, change store.RunChange) ([]store.Run, error)
	UpdateActiveRuns(ctx context.Context, change store.RunChange) ([]store.Run, error)
	Enqueue(ctx context.Context, r *store.Run, change store.RunChange) ([]store.Run, error)

	PutRepo(ctx context.Context, r *store.RepoRecord) error
	GetRepo(ctx context.Context, name string) (*store.RepoRecord, error)
	ListRepos(ctx context.Context) ([]store.RepoRecord, error)
	PutStack(ctx context.Context, r *store.StackRecord) error
	GetStack(ctx context.Context, repo, name string) (*store.StackRecord, error)
	ListStacks(ctx context.Context, repo string) ([]store.StackRecord, error)
	DeleteStack(ctx context.Context, repo, name string) error

	PutPlan(ctx context.Context, p *store.Plan) error
	GetPlan(ctx context.Context, runID string) (*store.Plan, error)
	GetPlanFile(ctx context.Context, runID string) ([]byte, string, error)
	PutLog(ctx context.Context, runID string, log []byte) error
	GetLog(ctx context.Context, runID string) ([]byte, error)

	PutStateVersion(ctx context.Context, sv *store.StateVersion) error
	ListStateVersions(ctx context.Context, repo, stack string, limit int) ([]store.StateVersion, error)
	GetStateVersion(ctx context.Context, repo, stack string, serial uint64) (*store.StateVersion, error)
	LatestStateVersion(ctx context.Context, repo, stack string) (*store.StateVersion, error)

	RecordDriftCheck(ctx context.Context, sd *store.StackDrift, findings []store.DriftFinding) error
	RecordApplied(ctx context.Context, repo, stack string, info store.AppliedInfo) error
	StackDriftStatus(ctx context.Context, repo, stack string) (*store.StackDrift, error)
	ListStackDrift(ctx context.Context) ([]store.StackDrift, error)
	DriftFindings(ctx context.Context, repo, stack string, open bool, limit int) ([]store.DriftFinding, error)

	HoldStack(ctx context.Context, h *store.Hold) error
	GetHold(ctx context.Context, repo, stack string) (*store.Hold, error)
	ReleaseStack(ctx context.Context, repo, stack string) (*store.Hold, error)
	ListHolds(ctx context.Context) ([]store.Hold, error)

	AppendAudit(ctx context.Context, e *store.AuditEntry) error
	ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, string, error)

	PutDelivery(ctx context.Context, d *store.Delivery) error
	GetDelivery(ctx context.Context, id string) (*store.Delivery, error)
	ListDeliveries(ctx context.Context, f store.DeliveryFilter) ([]store.Delivery, error)
	PendingDeliveries(ctx context.Context) ([]store.Delivery, error)
	PruneDeliveries(ctx context.Context, cutoff time.Time) (int, error)

	QueueOutbox(ctx context.Context, items ...store.OutboxItem) error
	PendingOutbox(ctx context.Context, repo string, now time.Time) ([]store.OutboxItem, error)
	DoneOutbox(ctx context.Context, it store.OutboxItem) error
	RetryOutbox(ctx context.Context, it store.OutboxItem, next time.Time, cause error) error

	UpdatePR(ctx context.Context, repo string, number int, change func(*store.PRRecord) error) (*store.PRRecord, error)
	GetPR(ctx context.Context, repo string, number int) (*store.PRRecord, error)
	PRByMergeCommit(ctx context.Context, repo, commit string) (*store.PRRecord, error)
	SeenDelivery(ctx context.Context, repo, id string, now time.Time) (bool, error)
	ForgetDelivery(ctx context.Context, repo, id string) error

	Close() error
}

// Options is what the suite varies between the stores it opens. The open
// func passed to Run maps it to the store's own options.
type Options struct {
	// Retention is how many finished runs per stack the store keeps, as
	// store.Options.Retention: zero means store.DefaultRetention and a
	// negative value disables pruning.
	Retention int

	// EncryptionKey, when set, is the store.EncryptionKeySize-byte key
	// that seals plan files and state version bodies.
	EncryptionKey []byte

	// Reopen, when set, asks for the database Reopen was opened on
	// instead of a new, empty one. The suite has closed Reopen before.
	Reopen Store
}

// Open opens a store for one test. Without opts.Reopen it is a new, empty
// database. The open func closes the store at the test's cleanup; the
// suite may have closed it before (Close may be called twice).
type Open func(t *testing.T, opts Options) Store

// Run runs the conformance suite against the stores open opens, one
// subtest per group of methods.
func Run(t *testing.T, open Open) {
	groups := []struct {
		name string
		fn   func(*testing.T, Open)
	}{
		{"Repos", testRepos},
		{"Stacks", testStacks},
		{"Runs", testRuns},
		{"ListRuns", testListRuns},
		{"UpdateRun", testUpdateRun},
		{"UpdateStackRuns", testUpdateStackRuns},
		{"UpdateActiveRuns", testUpdateActiveRuns},
		{"Enqueue", testEnqueue},
		{"ActiveRuns", testActiveRuns},
		{"FinishRun", testFinishRun},
		{"Retention", testRetention},
		{"Defaults", testDefaults},
		{"Plans", testPlans},
		{"Logs", testLogs},
		{"StateVersions", testStateVersions},
		{"Encryption", testEncryption},
		{"Drift", testDrift},
		{"Holds", testHolds},
		{"Audit", testAudit},
		{"WithAudit", testWithAudit},
		{"Deliveries", testDeliveries},
		{"Outbox", testOutbox},
		{"PRs", testPRs},
		{"WebhookDeliveryIDs", testSeenDelivery},
		{"ErrorKinds", testErrorKinds},
		{"Concurrency", testConcurrency},
		{"Races", testRaces},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.fn(t, open) })
	}
}
