package api

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

// runsParams are the query parameters GET /api/v1/runs accepts.
var runsParams = []string{"repo", "stack", "status", "limit", "cursor", "pr"}

// parseRunFilter parses the query string of GET /api/v1/runs. The status
// must be one of apiv1.Statuses and the limit a whole number from 1 to
// apiv1.MaxListLimit; empty values are unset. Errors are 400 problems.
func parseRunFilter(rawQuery string) (apiv1.RunFilter, error) {
	q, err := parseQuery("/api/v1/runs", rawQuery, runsParams)
	if err != nil {
		return apiv1.RunFilter{}, err
	}
	f := apiv1.RunFilter{Repo: q["repo"], Stack: q["stack"], Cursor: q["cursor"]}
	if s := q["status"]; s != "" {
		f.Status = apiv1.RunStatus(s)
		if statuses := apiv1.Statuses(); !slices.Contains(statuses, f.Status) {
			names := make([]string, len(statuses))
			for i, n := range statuses {
				names[i] = string(n)
			}
			return apiv1.RunFilter{}, badRequest("unknown run status %s: use one of %s", quote(s), strings.Join(names, ", "))
		}
	}
	if s := q["limit"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > apiv1.MaxListLimit {
			return apiv1.RunFilter{}, badRequest("limit %s is not a whole number from 1 to %d", quote(s), apiv1.MaxListLimit)
		}
		f.Limit = n
	}
	if s := q["pr"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return apiv1.RunFilter{}, badRequest("pr %s is not a pull request number (a whole number from 1)", quote(s))
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
