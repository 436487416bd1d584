package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/store"
)

// StackDriftView is a stack's drift state with its findings, as the
// Service returns it; the drift endpoints send it as an apiv1.StackDrift.
type StackDriftView struct {
	store.StackDrift
	// Findings are the stack's findings, newest first.
	Findings []store.DriftFinding
}

// listDrift answers every stack's drift state, or one repo's.
func (s *server) listDrift(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery("/api/v1/drift", r.URL.RawQuery, []string{"repo"})
	if err != nil {
		return err
	}
	views, err := s.svc.Drift(r.Context(), q["repo"])
	if err != nil {
		what := "drift"
		if q["repo"] != "" {
			what = fmt.Sprintf("repo %s", quote(q["repo"]))
		}
		return explain(err, what, HintRepos)
	}
	out := make([]apiv1.StackDrift, len(views))
	for i := range views {
		out[i] = wireStackDrift(&views[i])
	}
	s.writeJSON(w, http.StatusOK, apiv1.DriftList{Stacks: out})
	return nil
}

// getStackDrift answers one stack's drift state and findings.
func (s *server) getStackDrift(w http.ResponseWriter, r *http.Request) error {
	repo, stack := r.PathValue("repo"), r.PathValue("stack")
	history, err := parseHistory(r.URL.RawQuery)
	if err != nil {
		return err
	}
	view, err := s.svc.StackDrift(r.Context(), repo, stack, history)
	if err != nil {
		return explainStack(err, repo, stack)
	}
	s.writeJSON(w, http.StatusOK, wireStackDrift(view))
	return nil
}

// checkDrift queues a drift check and answers the queued run.
func (s *server) checkDrift(w http.ResponseWriter, r *http.Request) error {
	repo, stack := r.PathValue("repo"), r.PathValue("stack")
	run, err := s.svc.CheckDrift(r.Context(), repo, stack)
	if err != nil {
		return explainStack(err, repo, stack)
	}
	w.Header().Set("Location", "/api/v1/runs/"+run.ID)
	s.writeJSON(w, http.StatusAccepted, wireRun(run))
	return nil
}

// explainStack explains a Service error about a stack named in the path.
func explainStack(err error, repo, stack string) error {
	return explain(err, fmt.Sprintf("stack %s in repo %s", quote(stack), quote(repo)), HintStacks(repo))
}

// parseHistory parses the query string of GET
// /api/v1/stacks/{repo}/{stack}/drift: history is a whole number from 0 to
// apiv1.MaxDriftHistory, apiv1.DefaultDriftHistory when absent or empty. Errors are 400
// problems.
func parseHistory(rawQuery string) (int, error) {
	q, err := parseQuery("/api/v1/stacks/{repo}/{stack}/drift", rawQuery, []string{"history"})
	if err != nil {
		return 0, err
	}
	s := q["history"]
	if s == "" {
		return apiv1.DefaultDriftHistory, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > apiv1.MaxDriftHistory {
		return 0, badRequest("history %s is not a whole number from 0 to %d", quote(s), apiv1.MaxDriftHistory)
	}
	return n, nil
}
