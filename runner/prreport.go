package runner

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/planner/drift"
	"github.com/driftgate/driftgate/runner/forge"
	"github.com/driftgate/driftgate/runner/prcomment"
	"github.com/driftgate/driftgate/store"
)

// reportPR renders the PR's comment from its latest runs and queues it,
// with the driftgate/plan status of its head, in the forge outbox. A
// failure is logged: the next change of the PR's runs reports again.
func (d *Daemon) reportPR(ctx context.Context, repo string, number int) {
	ctx = context.WithoutCancel(ctx)
	log := d.logger.With(logRepo, repo, logPR, number)
	if err := d.queuePRReport(ctx, repo, number); err != nil {
		log.Error("report PR on the forge", logErr, err)
	}
	d.outboxWake()
}

func (d *Daemon) queuePRReport(ctx context.Context, repo string, number int) error {
	rc, ok := d.repoConfig(repo)
	if !ok || rc.Forge == nil {
		return nil
	}
	rec, err := d.store.GetPR(ctx, repo, number)
	if err != nil {
		return err
	}
	if rec.PlannedHead == "" {
		return nil
	}
	runs, _, err := d.store.ListRuns(ctx, store.RunFilter{Repo: repo, PR: number, Commit: rec.PlannedHead, Limit: store.MaxListLimit})
	if err != nil {
		return err
	}
	latest := map[string]*store.Run{}
	for i := range runs { // newest first
		if _, seen := latest[runs[i].Stack]; !seen {
			latest[runs[i].Stack] = &runs[i]
		}
	}
	in := prcomment.Input{
		PR:        prcomment.PR{Number: number, HeadSHA: rec.PlannedHead},
		PublicURL: d.publicURL(),
		MaxLength: rc.Forge.Client.MaxCommentLength(),
		Keep:      rec.Comments,
	}
	state := forge.StatusSuccess
	desc := "every affected stack planned"
	for _, name := range rec.PlannedStacks {
		run := latest[name]
		if run == nil {
			continue
		}
		s := prcomment.Stack{Repo: repo, Name: name, RunID: run.ID, Result: resultOf(run.Status), Error: run.Error}
		if sd, err := d.store.StackDriftStatus(ctx, repo, name); err == nil {
			s.TargetDrift = drift.Status(sd.Status)
		}
		if s.Result == prcomment.ResultChanges || s.Result == prcomment.ResultNoChanges {
			if p, err := d.store.GetPlan(ctx, run.ID); err == nil {
				s.PlanText = string(p.Text)
				var a analysis.Analysis
				if json.Unmarshal(p.Analysis, &a) == nil {
					s.Analysis = &a
				}
			}
		}
		switch s.Result {
		case prcomment.ResultQueued, prcomment.ResultPlanning:
			if state != forge.StatusFailure {
				state, desc = forge.StatusPending, "planning"
			}
		case prcomment.ResultErrored:
			state, desc = forge.StatusFailure, "the plan of "+name+" failed"
		}
		in.Stacks = append(in.Stacks, s)
	}
	bodies, err := prcomment.Render(in)
	if err != nil {
		return err
	}
	var items []store.OutboxItem
	for i, b := range bodies {
		items = append(items, store.OutboxItem{Repo: repo, Kind: store.OutboxComment, PR: number, Marker: prcomment.Marker(i + 1), Body: b})
	}
	for n := len(bodies) + 1; n <= rec.Comments; n++ {
		items = append(items, store.OutboxItem{Repo: repo, Kind: store.OutboxDeleteComment, PR: number, Marker: prcomment.Marker(n)})
	}
	if rec.State == string(forge.PRClosed) {
		state, desc = forge.StatusError, "PR closed: plans canceled"
	}
	items = append(items, d.statusItem(repo, rec.PlannedHead, statusPlan, state, desc, runLinkOf(in.Stacks)))
	if err := d.store.QueueOutbox(ctx, items...); err != nil {
		return err
	}
	if rec.Comments != len(bodies) {
		_, err = d.store.UpdatePR(ctx, repo, number, func(r *store.PRRecord) error {
			r.Comments = len(bodies)
			return nil
		})
	}
	return err
}

// runLinkOf is the run a plan status links to: the first errored, else
// the first stack's.
func runLinkOf(stacks []prcomment.Stack) string {
	for _, s := range stacks {
		if s.Result == prcomment.ResultErrored {
			return s.RunID
		}
	}
	if len(stacks) > 0 {
		return stacks[0].RunID
	}
	return ""
}

// statusItem is the outbox entry setting a commit status.
func (d *Daemon) statusItem(repo, commit, context string, state forge.StatusState, desc, runID string) store.OutboxItem {
	it := store.OutboxItem{Repo: repo, Kind: store.OutboxStatus, Commit: commit, Context: context, State: string(state), Description: desc}
	if u := d.publicURL(); u != "" && runID != "" {
		it.TargetURL = strings.TrimRight(u, "/") + "/runs/" + runID
	}
	return it
}

// reportApply sets driftgate/apply on a merge commit from the state of an
// apply run of it, when the commit is a recorded PR's merge.
func (d *Daemon) reportApply(ctx context.Context, run *store.Run) {
	ctx = context.WithoutCancel(ctx)
	rc, ok := d.repoConfig(run.Repo)
	if !ok || rc.Forge == nil || run.Commit == "" {
		return
	}
	if _, err := d.store.PRByMergeCommit(ctx, run.Repo, run.Commit); err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			d.logger.Error("find the PR of a merge commit", logRun, run.ID, logErr, err)
		}
		return
	}
	cur, err := d.store.GetRun(ctx, run.ID)
	if err != nil {
		d.logger.Error("read apply run", logRun, run.ID, logErr, err)
		return
	}
	state, desc := forge.StatusPending, "awaiting approval or applying: "+cur.Stack
	switch cur.Status {
	case store.StatusApplied:
		state, desc = forge.StatusSuccess, "applied: "+cur.Stack
	case store.StatusErrored, store.StatusRefused, store.StatusRejected, store.StatusInterrupted:
		state, desc = forge.StatusFailure, string(cur.Status)+": "+cur.Stack
	case store.StatusSuperseded, store.StatusCanceled:
		state, desc = forge.StatusError, string(cur.Status)+": "+cur.Stack
	}
	if err := d.store.QueueOutbox(ctx, d.statusItem(run.Repo, run.Commit, statusApply, state, desc, cur.ID)); err != nil {
		d.logger.Error("queue apply status", logRun, run.ID, logErr, err)
	}
	d.outboxWake()
}

// resultOf is the comment's result for a run status.
func resultOf(s store.RunStatus) prcomment.Result {
	switch s {
	case store.StatusQueued:
		return prcomment.ResultQueued
	case store.StatusRunning:
		return prcomment.ResultPlanning
	case store.StatusPlanned:
		return prcomment.ResultChanges
	case store.StatusNoChanges:
		return prcomment.ResultNoChanges
	case store.StatusSuperseded:
		return prcomment.ResultSuperseded
	case store.StatusCanceled:
		return prcomment.ResultCanceled
	}
	return prcomment.ResultErrored
}

// publicURL is the configured public URL.
func (d *Daemon) publicURL() string {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.cfg.PublicURL
}

// reportMergeApply sets driftgate/apply on a merge commit once the plan of
// it opened an apply run: pending until that run ends.
func (d *Daemon) reportMergeApply(ctx context.Context, plan *store.Run) {
	runs, _, err := d.store.ListRuns(ctx, store.RunFilter{Repo: plan.Repo, Stack: plan.Stack, Operation: OperationApply, Commit: plan.Commit, Limit: 1})
	if err != nil || len(runs) == 0 {
		return
	}
	d.reportApply(ctx, &runs[0])
}
