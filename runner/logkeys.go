package runner

// Log attribute keys, shared by every logger in the package.
const (
	logRun      = "run"
	logStack    = "stack"
	logDir      = "dir"
	logStatus   = "status"
	logErr      = "err"
	logDuration = "duration"
)
