package api

// Log attribute keys, shared by every logger in the package.
const (
	logMethod    = "method"
	logPath      = "path"
	logStatus    = "status"
	logDuration  = "duration"
	logPrincipal = "principal"
	logErr       = "err"
)
