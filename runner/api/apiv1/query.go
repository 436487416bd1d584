package apiv1

import (
	"net/url"
	"strconv"
)

// MaxListLimit is the largest page (limit parameter) the run and audit
// listings accept.
const MaxListLimit = 500

// RunFilter is the query of GET /api/v1/runs. Zero fields are left out and
// match everything.
type RunFilter struct {
	// Repo (parameter repo) restricts the listing to one repo.
	Repo string
	// Stack (parameter stack) restricts the listing to one stack name.
	Stack string
	// Status (parameter status) restricts the listing to one status.
	Status RunStatus
	// PR (parameter pr) restricts the listing to the runs of one pull
	// request.
	PR int
	// Limit (parameter limit) is the page size, 1 to MaxListLimit; zero
	// leaves it to the server, and other values are sent for the server
	// to refuse.
	Limit int
	// Cursor (parameter cursor) continues a listing after the page whose
	// RunList.NextCursor it is.
	Cursor string
}

// Query encodes f as the query parameters of GET /api/v1/runs.
func (f RunFilter) Query() url.Values {
	q := url.Values{}
	setString(q, "repo", f.Repo)
	setString(q, "stack", f.Stack)
	setString(q, "status", string(f.Status))
	if f.PR != 0 {
		q.Set("pr", strconv.Itoa(f.PR))
	}
	if f.Limit != 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	setString(q, "cursor", f.Cursor)
	return q
}

// AuditFilter is the query of GET /api/v1/audit. Zero fields are left out
// and match everything; the others are matched exactly.
type AuditFilter struct {
	// Repo (parameter repo) restricts the page to one repo.
	Repo string
	// Stack (parameter stack) restricts the page to one stack name.
	Stack string
	// Actor (parameter actor) restricts the page to one actor.
	Actor string
	// Action (parameter action) restricts the page to one action.
	Action AuditAction
	// Limit (parameter limit) is the page size, 1 to MaxListLimit; zero
	// or negative leaves it to the server.
	Limit int
	// Cursor (parameter cursor) continues a listing after the page whose
	// AuditPage.NextCursor it is.
	Cursor string
}

// Query encodes f as the query parameters of GET /api/v1/audit.
func (f AuditFilter) Query() url.Values {
	q := url.Values{}
	setString(q, "repo", f.Repo)
	setString(q, "stack", f.Stack)
	setString(q, "actor", f.Actor)
	setString(q, "action", string(f.Action))
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	setString(q, "cursor", f.Cursor)
	return q
}

// setString sets parameter k of q to v unless v is empty.
func setString(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}
