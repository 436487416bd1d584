package notify

// Log attribute keys, shared by every logger in the package.
const (
	logSink      = "sink"
	logDelivery  = "delivery"
	logEvent     = "event"
	logEventType = "event_type"
	logRepo      = "repo"
	logStack     = "stack"
	logAttempts  = "attempts"
	logRetryIn   = "retry_in"
	logErr       = "err"
	logCount     = "count"
)
