package apiv1

// RepoList is the body of GET /api/v1/repos.
type RepoList struct {
	// Repos are the watched repos; [] when none.
	Repos []Repo `json:"repos"`
}

// StackList is the body of GET /api/v1/stacks.
type StackList struct {
	// Stacks are the stacks of the repo asked for, or of every repo.
	Stacks []Stack `json:"stacks"`
}

// RunList is the body of GET /api/v1/runs: a page of runs, newest first.
type RunList struct {
	// Runs are the page's runs.
	Runs []Run `json:"runs"`
	// NextCursor continues the listing (RunFilter.Cursor); "" on the last
	// page.
	NextCursor string `json:"next_cursor"`
}

// DriftList is the body of GET /api/v1/drift.
type DriftList struct {
	// Stacks are the stacks' drift states, by repo and stack, each with
	// its open findings.
	Stacks []StackDrift `json:"stacks"`
}

// LockList is the body of GET /api/v1/locks.
type LockList struct {
	// Locks are the stacks a run holds or that are held, by repo and
	// stack.
	Locks []StackLock `json:"locks"`
}

// StateVersionList is the body of GET
// /api/v1/stacks/{repo}/{stack}/state-versions.
type StateVersionList struct {
	// Versions are the stack's versions, newest first, without bodies.
	Versions []StateVersion `json:"versions"`
}

// AuditPage is the body of GET /api/v1/audit: a page of the audit log,
// newest first.
type AuditPage struct {
	// Entries are the page's entries.
	Entries []AuditEntry `json:"entries"`
	// NextCursor continues the listing (AuditFilter.Cursor); "" on the
	// last page.
	NextCursor string `json:"next_cursor"`
}
