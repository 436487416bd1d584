package api

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/driftgate/driftgate/store"
)

// runsParams are the query parameters GET /api/v1/runs accepts.
var runsParams = []string{"repo", "stack", "status", "limit", "cursor", "pr"}

// statusNames lists the run statuses a client may filter by.
var statusNames = []store.RunStatus{
	store.StatusQueued, store.StatusRunning, store.StatusPlanned, store.StatusNoChanges,
	store.StatusErrored, store.StatusInterrupted, store.StatusSuperseded, store.StatusCanceled,
	store.StatusAwaitingApproval, store.StatusApplied, store.StatusRejected, store.StatusRefused,
}

// parseRunFilter parses the query string of GET /api/v1/runs. The status
// must be one of the store's statuses and the limit a whole number from 1
// to store.MaxListLimit; empty values are unset. Errors are 400 problems.
func parseRunFilter(rawQuery string) (store.RunFilter, error) {
	q, err := parseQuery("/api/v1/runs", rawQuery, runsParams)
	if err != nil {
		return store.RunFilter{}, err
	}
	f := store.RunFilter{Repo: q["repo"], Stack: q["stack"], Cursor: q["cursor"]}
	if s := q["status"]; s != "" {
		f.Status = store.RunStatus(s)
		if !f.Status.Valid() {
			names := make([]string, len(statusNames))
			for i, n := range statusNames {
				names[i] = string(n)
			}
			return store.RunFilter{}, badRequest("unknown run status %s: use one of %s", quote(s), strings.Join(names, ", "))
		}
	}
	if s := q["limit"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > store.MaxListLimit {
			return store.RunFilter{}, badRequest("limit %s is not a whole number from 1 to %d", quote(s), store.MaxListLimit)
		}
		f.Limit = n
	}
	if s := q["pr"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return store.RunFilter{}, badRequest("pr %s is not a pull request number (a whole number from 1)", quote(s))
		}
		f.PR = n
	}
	return f, nil
}

// parseQuery parses a query string for endpoint, refusing malformed
// strings, parameters not in allowed and parameters given more than once, so
// a misspelled filter is an error rather than a silently larger answer.
func parseQuery(endpoint, rawQuery string, allowed []string) (map[string]string, error) {
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, &problem{status: http.StatusBadRequest, msg: "malformed query string; escape values with percent-encoding", err: err}
	}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	q := make(map[string]string, len(vals))
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			return nil, badRequest("unknown query parameter %s: %s accepts %s", quote(k), endpoint, strings.Join(allowed, ", "))
		}
		if v := vals[k]; len(v) > 1 {
			return nil, badRequest("query parameter %s is given %d times; give it once", quote(k), len(v))
		}
		q[k] = vals[k][0]
	}
	return q, nil
}
