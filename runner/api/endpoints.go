package api

import (
	"fmt"
	"net/http"

	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/store"
)

// statusBody is the body of the health checks.
type statusBody struct {
	Status string `json:"status"`
}

// healthz answers that the process serves HTTP.
func (s *server) healthz(w http.ResponseWriter, _ *http.Request) error {
	s.writeJSON(w, http.StatusOK, statusBody{Status: "ok"})
	return nil
}

// readyz answers whether the daemon is ready, 503 with the reason if not.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.Ready(r.Context()); err != nil {
		return &problem{status: http.StatusServiceUnavailable, msg: "driftgate is not ready: " + err.Error(), err: err}
	}
	s.writeJSON(w, http.StatusOK, statusBody{Status: "ready"})
	return nil
}

func (s *server) listRepos(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQuery("/api/v1/repos", r.URL.RawQuery, nil); err != nil {
		return err
	}
	repos, err := s.svc.Repos(r.Context())
	if err != nil {
		return explain(err, "repos", HintRepos)
	}
	s.writeJSON(w, http.StatusOK, apiv1.RepoList{Repos: wireRepos(repos)})
	return nil
}

func (s *server) listStacks(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery("/api/v1/stacks", r.URL.RawQuery, []string{"repo"})
	if err != nil {
		return err
	}
	stacks, err := s.svc.Stacks(r.Context(), q["repo"])
	if err != nil {
		return explain(err, fmt.Sprintf("repo %s", quote(q["repo"])), HintRepos)
	}
	s.writeJSON(w, http.StatusOK, apiv1.StackList{Stacks: wireStacks(stacks)})
	return nil
}

func (s *server) listRuns(w http.ResponseWriter, r *http.Request) error {
	f, err := parseRunFilter(r.URL.RawQuery)
	if err != nil {
		return err
	}
	runs, next, err := s.svc.Runs(r.Context(), storeRunFilter(f))
	if err != nil {
		what := "runs"
		switch {
		case f.Stack != "":
			what = fmt.Sprintf("stack %s in repo %s", quote(f.Stack), quote(f.Repo))
		case f.Repo != "":
			what = fmt.Sprintf("repo %s", quote(f.Repo))
		}
		return explain(err, what, HintRepos)
	}
	s.writeJSON(w, http.StatusOK, apiv1.RunList{Runs: wireRuns(runs), NextCursor: next})
	return nil
}

func (s *server) getRun(w http.ResponseWriter, r *http.Request) error {
	run, err := s.run(r)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, wireRun(run))
	return nil
}

// run returns the run named by the request's {id}.
func (s *server) run(r *http.Request) (*store.Run, error) {
	id := r.PathValue("id")
	run, err := s.svc.Run(r.Context(), id)
	if err != nil {
		return nil, explain(err, fmt.Sprintf("run %s", quote(id)), HintRuns)
	}
	return run, nil
}

// getPlan answers the redacted plan JSON as stored. The run is read first
// so that an unknown run and a run without a plan get different answers.
func (s *server) getPlan(w http.ResponseWriter, r *http.Request) error {
	run, err := s.run(r)
	if err != nil {
		return err
	}
	plan, err := s.svc.Plan(r.Context(), run.ID)
	if err != nil && statusOf(err) != http.StatusNotFound {
		return explain(err, fmt.Sprintf("plan of run %s", quote(run.ID)), HintRuns)
	}
	if err != nil || plan == nil || len(plan.JSON) == 0 {
		return noPart(run, "plan")
	}
	s.writeBody(w, http.StatusOK, "application/json", plan.JSON)
	return nil
}

// getLog answers the run's log as plain text, or with follow=true as a
// stream of Server-Sent Events (see followLog).
func (s *server) getLog(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery("/api/v1/runs/{id}/log", r.URL.RawQuery, []string{"follow"})
	if err != nil {
		return err
	}
	run, err := s.run(r)
	if err != nil {
		return err
	}
	switch q["follow"] {
	case "", "false":
	case "true":
		return s.followLog(w, r, run)
	default:
		return badRequest("follow must be true or false, not %s", quote(q["follow"]))
	}
	log, err := s.svc.Log(r.Context(), run.ID)
	if err != nil && statusOf(err) != http.StatusNotFound {
		return explain(err, fmt.Sprintf("log of run %s", quote(run.ID)), HintRuns)
	}
	if err != nil {
		return noPart(run, "log")
	}
	s.writeBody(w, http.StatusOK, "text/plain; charset=utf-8", log)
	return nil
}

// noPart is the 404 of a run that has no plan or log (part).
func noPart(run *store.Run, part string) *problem {
	if !run.Status.Terminal() {
		hint := hintWait(run.ID)
		if part == "log" {
			hint = hintFollow(run.ID)
		}
		return &problem{status: http.StatusNotFound, hint: hint,
			msg: fmt.Sprintf("run %q has no %s yet (it is %s)", run.ID, part, run.Status)}
	}
	p := &problem{status: http.StatusNotFound, msg: fmt.Sprintf("run %s has no %s (it ended %s)", quote(run.ID), part, run.Status)}
	if part == "plan" {
		p.hint = hintLog(run.ID)
	}
	return p
}

func (s *server) triggerPlan(w http.ResponseWriter, r *http.Request) error {
	repo, stack := r.PathValue("repo"), r.PathValue("stack")
	run, err := s.svc.TriggerPlan(r.Context(), repo, stack)
	if err != nil {
		return explain(err, fmt.Sprintf("stack %s in repo %s", quote(stack), quote(repo)), HintStacks(repo))
	}
	w.Header().Set("Location", "/api/v1/runs/"+run.ID)
	s.writeJSON(w, http.StatusAccepted, wireRun(run))
	return nil
}

func (s *server) cancelRun(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	run, err := s.svc.CancelRun(r.Context(), id)
	if err != nil {
		return explain(err, fmt.Sprintf("run %s", quote(id)), HintRuns)
	}
	s.writeJSON(w, http.StatusOK, wireRun(run))
	return nil
}
