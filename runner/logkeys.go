package runner

// Log attribute keys, shared by every logger in the package.
const (
	logRun      = "run"
	logStack    = "stack"
	logDir      = "dir"
	logStatus   = "status"
	logErr      = "err"
	logDuration = "duration"
	logRepo     = "repo"
	logCommit   = "commit"
	logPrevious = "previous_commit"
	logTrigger  = "trigger"
	logStacks   = "stacks"
	logRetryIn  = "retry_in"
	logAddr     = "addr"
	logCount    = "count"
	logBy       = "by"
	logPlanRun  = "plan_run"
	logSerial   = "serial"
	logWhat     = "what"
	logAction   = "action"
	logNode     = "node"
)
