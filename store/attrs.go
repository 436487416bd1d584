package store

// AttrKey names an attribute in Run.Attrs or StackRecord.Attrs. Every key
// driftgate writes is a constant below, so readers and writers agree.
type AttrKey string

// Attributes of runs.
const (
	// AttrSupersededBy names the run that superseded a queued or waiting
	// one.
	AttrSupersededBy AttrKey = "superseded_by"
	// AttrPlanRun names the plan run whose saved plan an apply run
	// applies.
	AttrPlanRun AttrKey = "plan_run"
	// AttrTriggeredBy names the API token that triggered a run.
	AttrTriggeredBy AttrKey = "triggered_by"
	// AttrDependsOn lists, comma-separated, the stacks an apply run's
	// stack depends_on at its commit: they must apply the same commit
	// first.
	AttrDependsOn AttrKey = "depends_on"
	// AttrReasons says why the watcher planned a stack.
	AttrReasons AttrKey = "reasons"
	// AttrPreviousCommit is the commit the watcher had seen before the
	// one a run plans.
	AttrPreviousCommit AttrKey = "previous_commit"
	// AttrNode names the node that claimed a run, when several nodes
	// share the store.
	AttrNode AttrKey = "node"
	// AttrJob is the id of the queue job (River's) whose worker runs a
	// run, so any node can cancel it.
	AttrJob AttrKey = "job"
	// AttrRetries counts the times a run was put back in the queue
	// because the node running it was lost.
	AttrRetries AttrKey = "retries"
)

// Attributes of stack records, kept by the watcher (the drift schedule and
// on_drift for the drift scheduler).
const (
	// AttrWorkspace is the stack's terraform workspace.
	AttrWorkspace AttrKey = "workspace"
	// AttrBackend is the stack's backend type.
	AttrBackend AttrKey = "backend"
	// AttrDriftSchedule is the stack's drift check schedule.
	AttrDriftSchedule AttrKey = "drift_schedule"
	// AttrOnDrift is the stack's on_drift setting.
	AttrOnDrift AttrKey = "on_drift"
)
