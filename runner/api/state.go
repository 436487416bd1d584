package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

// listStateVersions answers a stack's state versions, newest first,
// without their bodies.
func (s *server) listStateVersions(w http.ResponseWriter, r *http.Request) error {
	repo, stack := r.PathValue("repo"), r.PathValue("stack")
	q, err := parseQuery("/api/v1/stacks/{repo}/{stack}/state-versions", r.URL.RawQuery, []string{"limit"})
	if err != nil {
		return err
	}
	limit := 0
	if v := q["limit"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return badRequest("limit %s is not a positive whole number; leave it out to list every version", quote(v))
		}
		limit = n
	}
	versions, err := s.svc.StateVersions(r.Context(), repo, stack, limit)
	if err != nil {
		return explainStack(err, repo, stack)
	}
	out := make([]apiv1.StateVersion, len(versions))
	for i := range versions {
		out[i] = wireStateVersion(&versions[i])
		out[i].Version = nil // listings never carry bodies
	}
	s.writeJSON(w, http.StatusOK, apiv1.StateVersionList{Versions: out})
	return nil
}

// getStateVersion answers one state version with its redacted body.
func (s *server) getStateVersion(w http.ResponseWriter, r *http.Request) error {
	repo, stack := r.PathValue("repo"), r.PathValue("stack")
	if _, err := parseQuery("/api/v1/stacks/{repo}/{stack}/state-versions/{serial}", r.URL.RawQuery, nil); err != nil {
		return err
	}
	raw := r.PathValue("serial")
	serial, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		return badRequest("serial %s is not a whole number", quote(raw))
	}
	sv, err := s.svc.StateVersion(r.Context(), repo, stack, serial)
	if err != nil {
		return explainStateVersion(err, repo, stack, fmt.Sprintf("state version %d", serial))
	}
	s.writeJSON(w, http.StatusOK, wireStateVersion(sv))
	return nil
}

// getStateDiff answers what changed between two state versions.
func (s *server) getStateDiff(w http.ResponseWriter, r *http.Request) error {
	repo, stack := r.PathValue("repo"), r.PathValue("stack")
	q, err := parseQuery("/api/v1/stacks/{repo}/{stack}/state-diff", r.URL.RawQuery, []string{"from", "to"})
	if err != nil {
		return err
	}
	from, err := parseSerial(q, "from")
	if err != nil {
		return err
	}
	to, err := parseSerial(q, "to")
	if err != nil {
		return err
	}
	c, err := s.svc.StateDiff(r.Context(), repo, stack, from, to)
	if err != nil {
		return explainStateVersion(err, repo, stack, fmt.Sprintf("state version %d or %d", from, to))
	}
	s.writeJSON(w, http.StatusOK, apiv1.StateDiff{From: from, To: to, Changes: *c})
	return nil
}

// parseSerial reads the required serial parameter name of q: a positive
// whole number. Errors are 400 problems.
func parseSerial(q map[string]string, name string) (uint64, error) {
	v, ok := q[name]
	if !ok || v == "" {
		return 0, badRequest("query parameter %s is required: give the serials to compare as ?from=N&to=M", quote(name))
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return 0, badRequest("%s %s is not a positive whole number", name, quote(v))
	}
	return n, nil
}

// explainStateVersion explains a Service error about a stack's state
// versions (what, such as "state version 7").
func explainStateVersion(err error, repo, stack, what string) error {
	return explain(err, fmt.Sprintf("%s of stack %s in repo %s", what, quote(stack), quote(repo)), HintStateVersions(repo, stack))
}

// stateVersionsPath is the path listing a stack's state versions.
func stateVersionsPath(repo, stack string) string {
	return "/api/v1/stacks/" + url.PathEscape(repo) + "/" + url.PathEscape(stack) + "/state-versions"
}
