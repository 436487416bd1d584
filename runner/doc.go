// Package runner decides when and where driftgate plans: triggers, queue,
// workers, locks and the HTTP API. Its subpackages talk to git and forges.
package runner
