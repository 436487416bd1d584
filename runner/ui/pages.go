package ui

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/planner/statever"
	"github.com/driftgate/driftgate/runner/api"
	"github.com/driftgate/driftgate/store"
)

// driftStatuses are the drift states in the legend's order.
var driftStatuses = []store.DriftStatus{
	store.DriftInSync, store.DriftDrifted, store.DriftPendingChanges, store.DriftErrored, store.DriftUnknown,
}

// stackRow is one stack on the overview.
type stackRow struct {
	Repo, Name string
	Drift      store.DriftStatus
	Open       int
	Latest     *store.Run
	Held       bool
	Locked     bool
	Awaiting   int
}

// overview lists repos and stacks with their drift and runs.
func (s *server) overview(w http.ResponseWriter, r *http.Request) {
	v, ctx := visitorOf(r), r.Context()
	repoFilter, statusFilter := r.URL.Query().Get("repo"), store.DriftStatus(r.URL.Query().Get("status"))
	repos, err := s.svc.Repos(ctx)
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	stacks, err := s.svc.Stacks(ctx, "")
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	drift, err := s.svc.Drift(ctx, "")
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	locks, err := s.svc.Locks(ctx, "")
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	awaiting, _, err := s.svc.Runs(ctx, store.RunFilter{Status: store.StatusAwaitingApproval, Limit: store.MaxListLimit})
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	key := func(repo, stack string) string { return repo + "\x00" + stack }
	driftOf := map[string]api.StackDriftView{}
	for _, d := range drift {
		driftOf[key(d.Repo, d.Stack)] = d
	}
	lockOf := map[string]api.StackLock{}
	for _, l := range locks {
		lockOf[key(l.Repo, l.Stack)] = l
	}
	awaitingOf := map[string]int{}
	for _, a := range awaiting {
		awaitingOf[key(a.Repo, a.Stack)]++
	}
	counts := map[store.DriftStatus]int{}
	var rows []stackRow
	totalAwaiting := 0
	for _, st := range stacks {
		k := key(st.Repo, st.Name)
		row := stackRow{Repo: st.Repo, Name: st.Name, Drift: store.DriftUnknown, Awaiting: awaitingOf[k]}
		if d, ok := driftOf[k]; ok && d.Status != "" {
			row.Drift, row.Open = d.Status, d.Open
		}
		if l, ok := lockOf[k]; ok {
			row.Held, row.Locked = l.Hold != nil, l.Holder != nil
		}
		counts[row.Drift]++
		totalAwaiting += row.Awaiting
		if (repoFilter != "" && st.Repo != repoFilter) || (statusFilter != "" && row.Drift != statusFilter) {
			continue
		}
		latest, _, err := s.svc.Runs(ctx, store.RunFilter{Repo: st.Repo, Stack: st.Name, Limit: 1})
		if err != nil {
			s.failErr(w, r, v, err)
			return
		}
		if len(latest) > 0 {
			row.Latest = &latest[0]
		}
		rows = append(rows, row)
	}
	type count struct {
		Status store.DriftStatus
		N      int
	}
	var cs []count
	for _, st := range driftStatuses {
		cs = append(cs, count{st, counts[st]})
	}
	s.render(w, r, http.StatusOK, "overview", v, map[string]any{
		"Repos": repos, "Stacks": rows, "Counts": cs, "Awaiting": totalAwaiting, "Statuses": driftStatuses,
		"Repo": repoFilter, "Status": string(statusFilter), "Total": len(stacks),
	})
}

// stackPage shows one stack: runs, drift, state versions, policy, lock.
func (s *server) stackPage(w http.ResponseWriter, r *http.Request) {
	v, ctx := visitorOf(r), r.Context()
	repo, name := r.PathValue("repo"), r.PathValue("stack")
	q := r.URL.Query()
	stacks, err := s.svc.Stacks(ctx, repo)
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	i := slices.IndexFunc(stacks, func(st store.StackRecord) bool { return st.Name == name })
	if i < 0 {
		s.fail(w, r, v, http.StatusNotFound, "repo "+repo+" has no stack "+name)
		return
	}
	runs, next, err := s.svc.Runs(ctx, store.RunFilter{Repo: repo, Stack: name, Limit: 20, Cursor: q.Get("cursor")})
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	drift, err := s.svc.StackDrift(ctx, repo, name, 20)
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	var open, resolved []store.DriftFinding
	for _, f := range drift.Findings {
		if f.ResolvedAt.IsZero() {
			open = append(open, f)
		} else {
			resolved = append(resolved, f)
		}
	}
	versions, err := s.svc.StateVersions(ctx, repo, name, 50)
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	lock, err := s.svc.StackLock(ctx, repo, name)
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	applies, _, err := s.svc.Runs(ctx, store.RunFilter{Repo: repo, Stack: name, Operation: store.OperationApply, Limit: 1})
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	data := map[string]any{
		"Repo": repo, "Stack": stacks[i], "Runs": runs, "Next": next, "Drift": drift, "Open": open,
		"Resolved": resolved, "Versions": versions, "Lock": lock, "Can": s.can(v),
	}
	if len(applies) > 0 {
		data["Apply"] = &applies[0]
	}
	if from, to := q.Get("from"), q.Get("to"); from != "" && to != "" {
		f, ferr := strconv.ParseUint(from, 10, 64)
		t, terr := strconv.ParseUint(to, 10, 64)
		if ferr != nil || terr != nil {
			s.fail(w, r, v, http.StatusBadRequest, "from and to are state serials: whole numbers")
			return
		}
		var diff *statever.Changes
		if diff, err = s.svc.StateDiff(ctx, repo, name, f, t); err != nil {
			s.failErr(w, r, v, err)
			return
		}
		data["Diff"], data["From"], data["To"] = diff, f, t
	}
	s.render(w, r, http.StatusOK, "stack", v, data)
}

// runPage shows one run: summary, binding, approvals, changes, plan, log.
func (s *server) runPage(w http.ResponseWriter, r *http.Request) {
	v, ctx := visitorOf(r), r.Context()
	run, err := s.svc.Run(ctx, r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, v, err)
		return
	}
	data := map[string]any{"Run": run, "Can": s.can(v), "Live": run.Status == store.StatusQueued || run.Status == store.StatusRunning}
	planID := run.ID
	if run.Binding != nil && run.Binding.PlanRun != "" {
		planID = run.Binding.PlanRun
	}
	if plan, err := s.svc.Plan(ctx, planID); err == nil {
		data["PlanText"] = string(plan.Text)
		var a analysis.Analysis
		if len(plan.Analysis) > 0 && json.Unmarshal(plan.Analysis, &a) == nil {
			data["Analysis"] = &a
		}
	} else if !errors.Is(err, api.ErrNotFound) && !errors.Is(err, store.ErrNotFound) {
		s.failErr(w, r, v, err)
		return
	}
	if log, err := s.svc.Log(ctx, run.ID); err == nil {
		data["Log"] = string(log)
	} else if !errors.Is(err, api.ErrNotFound) && !errors.Is(err, store.ErrNotFound) {
		s.failErr(w, r, v, err)
		return
	}
	s.render(w, r, http.StatusOK, "run", v, data)
}

// auditPage shows the audit log to admins, with the API's filters: it is
// read through the API in-process, which parses the filters and checks
// the role.
func (s *server) auditPage(w http.ResponseWriter, r *http.Request) {
	v := visitorOf(r)
	var body struct {
		Entries    []store.AuditEntry `json:"entries"`
		NextCursor string             `json:"next_cursor"`
	}
	q := r.URL.Query()
	filter := url.Values{}
	for k, vs := range q {
		if len(vs) > 0 && vs[0] != "" {
			filter.Set(k, vs[0])
		}
	}
	status, msg := s.callAPI(r, v, http.MethodGet, "/api/v1/audit?"+filter.Encode(), nil, &body)
	if status != http.StatusOK {
		s.fail(w, r, v, status, msg)
		return
	}
	s.render(w, r, http.StatusOK, "audit", v, map[string]any{
		"Entries": body.Entries, "Next": body.NextCursor, "Repo": q.Get("repo"), "Stack": q.Get("stack"),
		"Actor": q.Get("actor"), "Action": q.Get("action"), "Limit": q.Get("limit"),
	})
}
