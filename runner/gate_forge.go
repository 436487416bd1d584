package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/driftgate/driftgate/runner/forge"
	"github.com/driftgate/driftgate/store"
)

// Approved merges gate the apply. For an apply run of a pull request's
// merge commit, in a repo with a forge and a stack with pr_approvals on,
// the PR's approving reviews (as recorded when it merged) count toward the
// stack's approvals. A review counts when it is its author's latest verdict
// on the PR, approves the PR's final head, its author has write access
// (asked of the forge, once per run and user), is not the PR's author
// unless the stack allows self-approval, and is in approvers when that
// list is set (as "<forge type>:<user>"). The run's plan must make the
// changes the PR's last plan of the stack showed (gate_review.go);
// otherwise no review counts and the run waits with
// ReasonPlanDiffersFromReview. A plan that deletes or replaces resources
// takes forge approvals only on a stack with allow_destroy: forge users
// hold no destroy permission.

// Bounds of the forge permission checks.
const (
	// maxCachedRuns bounds the runs whose answers are kept.
	maxCachedRuns = 256
	// permissionCallLimit bounds one check, retries included: the gate
	// then waits for approvals through driftgate rather than for the forge.
	permissionCallLimit = 10 * time.Second
)

// forgeApprovals is the approval source of merged pull requests' reviews.
type forgeApprovals struct {
	d  *Daemon
	mu sync.Mutex
	// writers caches CanWrite answers: run id -> forge user -> answer.
	writers map[string]map[string]bool
}

// prReview is what a merged PR's reviews give one apply run.
type prReview struct {
	pr   *store.PRRecord
	kind forge.Kind
	pol  policy
	// differs says how the run's plan differs from the reviewed one; ""
	// when it makes the same changes.
	differs string
	// approvals are the reviews that count, as approvals of the run's
	// binding.
	approvals []store.Approval
	// skipped says why approving reviews did not count.
	skipped []string
}

// Approvals returns the reviews of the PR merged as run's commit that
// count as approvals of run.
func (f *forgeApprovals) Approvals(ctx context.Context, run *store.Run) ([]store.Approval, error) {
	rv, err := f.review(ctx, run)
	if err != nil || rv == nil {
		return nil, err
	}
	return rv.approvals, nil
}

// review weighs the reviews of the PR merged as run's commit; nil when
// none apply to run (not an apply run of a merge commit, no forge, or
// pr_approvals off).
func (f *forgeApprovals) review(ctx context.Context, run *store.Run) (*prReview, error) {
	if run.Operation != OperationApply || run.Binding == nil || run.Commit == "" {
		return nil, nil
	}
	rc, ok := f.d.repoConfig(run.Repo)
	if !ok || rc.Forge == nil {
		return nil, nil
	}
	pr, err := f.d.store.PRByMergeCommit(ctx, run.Repo, run.Commit)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if pr.State != string(forge.PRMerged) {
		return nil, nil // a forge's test merge of an open PR
	}
	t, err := f.d.resolve(ctx, run)
	if err != nil {
		return nil, fmt.Errorf("read the apply policy of stack %s at commit %s: %w", run.Stack, shortSHA(run.Commit), err)
	}
	rv := &prReview{pr: pr, kind: rc.Forge.Kind, pol: policyOf(t.stack)}
	if !rv.pol.prApprovals {
		return nil, nil
	}
	if rv.differs, err = f.d.reviewedPlanDiff(ctx, run, pr); err != nil || rv.differs != "" {
		return rv, err
	}
	if run.Binding.Destroys && !rv.pol.allowDestroy {
		rv.skipped = append(rv.skipped, "the plan deletes or replaces resources, which forge reviews cannot approve (a token with the destroy permission can, or allow_destroy = true)")
		return rv, nil
	}
	for _, r := range latestVerdicts(pr.Reviews) {
		if r.State != string(forge.ReviewApproved) {
			continue
		}
		name := string(rv.kind) + ":" + r.User
		var why string
		switch {
		case r.CommitSHA != pr.HeadSHA:
			why = fmt.Sprintf("%s approved commit %s, not the PR's final head %s", name, shortSHA(r.CommitSHA), shortSHA(pr.HeadSHA))
		case strings.EqualFold(r.User, pr.Author) && !rv.pol.selfApproval:
			why = name + " opened the PR (self_approval is off)"
		case len(rv.pol.approvers) > 0 && !slices.ContainsFunc(rv.pol.approvers, func(a string) bool { return strings.EqualFold(a, name) }):
			why = name + " is not in approvers"
		default:
			ok, err := f.canWrite(ctx, rc.Forge.Client, run.ID, r.User)
			switch {
			case err != nil:
				why = fmt.Sprintf("the write access of %s could not be checked (%v)", name, err)
			case !ok:
				why = name + " has no write access"
			}
		}
		if why != "" {
			rv.skipped = append(rv.skipped, why)
			continue
		}
		rv.approvals = append(rv.approvals, store.Approval{
			Approver: name, Decision: store.DecisionApprove, At: r.SubmittedAt.UTC(),
			Source: string(rv.kind), ReviewID: r.ID, Binding: *run.Binding,
			Comment: fmt.Sprintf("review %d of PR #%d on its head %s", r.ID, pr.Number, shortSHA(r.CommitSHA)),
		})
	}
	return rv, nil
}

// latestVerdicts keeps each reviewer's latest verdict (approved, changes
// requested or dismissed; a mere comment changes nothing), in the order
// reviewers first gave one. reviews are oldest first.
func latestVerdicts(reviews []store.PRReview) []store.PRReview {
	at := map[string]int{}
	var out []store.PRReview
	for _, r := range reviews {
		if r.State == string(forge.ReviewCommented) {
			continue
		}
		if i, ok := at[r.User]; ok {
			out[i] = r
			continue
		}
		at[r.User] = len(out)
		out = append(out, r)
	}
	return out
}

// canWrite asks the forge whether user may write to the project, once
// per run: the answer is kept for later evaluations of the same run.
func (f *forgeApprovals) canWrite(ctx context.Context, c forge.Client, runID, user string) (bool, error) {
	f.mu.Lock()
	ok, hit := f.writers[runID][user]
	f.mu.Unlock()
	if hit {
		return ok, nil
	}
	cctx, cancel := context.WithTimeout(ctx, permissionCallLimit)
	defer cancel()
	ok, err := c.CanWrite(cctx, user)
	if err != nil {
		return false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.writers == nil || (len(f.writers) >= maxCachedRuns && f.writers[runID] == nil) {
		f.writers = map[string]map[string]bool{}
	}
	if f.writers[runID] == nil {
		f.writers[runID] = map[string]bool{}
	}
	f.writers[runID][user] = ok
	return ok, nil
}

// gateForge counts the forge approvals of run, an apply run awaiting
// approval. Each review that counts is recorded on the run as an approval
// by "<forge type>:<user>", with its audit entry in the same write (a
// reviewer is recorded once per run: the store refuses a second approval
// by the same approver), and the run is queued once enough approvers are
// in. When the run's plan differs from the reviewed one, the run waits
// with ReasonPlanDiffersFromReview and the PR gets a comment saying so.
// Failures are logged: approving through driftgate still works.
func (d *Daemon) gateForge(ctx context.Context, run *store.Run) {
	ctx = context.WithoutCancel(ctx)
	log := d.logger.With(logRun, run.ID, logStack, run.Stack)
	if run.Status != store.StatusAwaitingApproval || d.prApprovals == nil {
		return
	}
	rv, err := d.prApprovals.review(ctx, run)
	if err != nil {
		log.Error("count the approvals of the merged PR", logErr, err)
		return
	}
	if rv == nil {
		return
	}
	log = log.With(logPR, rv.pr.Number)
	if rv.differs != "" {
		d.planDiffersFromReview(ctx, run, rv)
		return
	}
	for _, a := range rv.approvals {
		e := &store.AuditEntry{
			Actor: a.Approver, Action: store.AuditApprove, Repo: run.Repo, Stack: run.Stack, RunID: run.ID, Result: store.AuditOK,
			Detail: fmt.Sprintf("approve of run %s: %s review %d by %s of PR #%d, on its final head %s",
				run.Binding.PlanRun, a.Source, a.ReviewID, strings.TrimPrefix(a.Approver, a.Source+":"), rv.pr.Number, shortSHA(rv.pr.HeadSHA)),
		}
		out, err := approveRun(store.WithAudit(ctx, e), d.store, run.ID, a, rv.pol.required)
		if _, ok := errors.AsType[*store.ConflictError](err); ok {
			continue // already recorded, or the run moved on
		}
		if err != nil {
			log.Error("record a forge approval", "approver", a.Approver, logErr, err)
			return
		}
		log.Info("forge approval counted", "approver", a.Approver, "review", a.ReviewID)
		if out.Status == store.StatusQueued {
			d.disp.Wake()
			d.reportApply(ctx, out)
			return
		}
	}
	if len(rv.approvals) == 0 && len(rv.skipped) == 0 {
		return
	}
	cur, err := d.store.GetRun(ctx, run.ID)
	if err != nil {
		log.Error("read apply run", logErr, err)
		return
	}
	if cur.Status != store.StatusAwaitingApproval {
		return
	}
	got := len(Approvers(cur.Binding, cur.Approvals))
	why := fmt.Sprintf("%d of %d approvals; needs %d more%s", got, rv.pol.required, rv.pol.required-got, rv.pol.approversHint())
	if len(rv.skipped) > 0 {
		why += fmt.Sprintf("; reviews of PR #%d not counted: %s", rv.pr.Number, strings.Join(rv.skipped, "; "))
	}
	reason := cur.Reason
	if reason == "" {
		reason = store.ReasonNeedsApproval
	}
	if _, err := setWaiting(ctx, d.store, run.ID, reason, why); err != nil && !errors.Is(err, store.ErrConflict) {
		log.Error("record what an apply waits for", logErr, err)
	}
}

// planDiffersFromReview makes run wait for approvals through driftgate,
// saying why, and tells the PR so in a comment of its own (one per
// stack, through the forge outbox).
func (d *Daemon) planDiffersFromReview(ctx context.Context, run *store.Run, rv *prReview) {
	log := d.logger.With(logRun, run.ID, logStack, run.Stack, logPR, rv.pr.Number)
	n := "1 approval"
	if rv.pol.required > 1 {
		n = fmt.Sprintf("%d approvals", rv.pol.required)
	}
	why := fmt.Sprintf("%s; the approvals of PR #%d do not carry over: it needs %s through driftgate%s",
		rv.differs, rv.pr.Number, n, rv.pol.approversHint())
	if _, err := setWaiting(ctx, d.store, run.ID, store.ReasonPlanDiffersFromReview, why); err != nil {
		if !errors.Is(err, store.ErrConflict) {
			log.Error("record what an apply waits for", logErr, err)
		}
		return
	}
	log.Info("apply waits: its plan differs from the reviewed one", "waiting", why)
	marker := reviewDiffersMarker(run.Stack)
	body := fmt.Sprintf("%s\n**driftgate: the approvals of this pull request do not apply to stack `%s`.**\n\n"+
		"The plan of the merge commit `%s` differs from the plan reviewed here: `%s`.\n\n"+
		"The apply waits for %s through driftgate: `driftgate approve %s`.",
		marker, mdCode(run.Stack), shortSHA(run.Commit), mdCode(rv.differs), n, run.ID)
	if u := d.publicURL(); u != "" {
		body += fmt.Sprintf(" [Apply run %s](%s/runs/%s).", run.ID, strings.TrimRight(u, "/"), run.ID)
	}
	item := store.OutboxItem{Repo: run.Repo, Kind: store.OutboxComment, PR: rv.pr.Number, Marker: marker, Body: body}
	if err := d.store.QueueOutbox(ctx, item); err != nil {
		log.Error("queue the plan-differs comment", logErr, err)
	}
	d.outboxWake()
}

// reviewDiffersMarker marks the comment saying that a stack's plan at the
// merge commit differs from the reviewed one.
func reviewDiffersMarker(stack string) string {
	return "<!-- driftgate:review-differs:" + strings.ReplaceAll(stack, "-->", "") + " -->"
}

// mdCode makes s safe inside a Markdown code span and a comment.
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "\n", " ", "<!--", "").Replace(s)
}

// gateMerged counts the forge approvals of the apply runs of commit still
// awaiting approval: for a PR whose merge was heard of after its merge
// commit's plan opened them.
func (d *Daemon) gateMerged(ctx context.Context, repo, commit string) {
	if commit == "" {
		return
	}
	runs, _, err := d.store.ListRuns(ctx, store.RunFilter{Repo: repo, Commit: commit, Operation: OperationApply, Status: store.StatusAwaitingApproval, Limit: store.MaxListLimit})
	if err != nil {
		d.logger.Error("list the apply runs of a merge commit", logRepo, repo, logCommit, commit, logErr, err)
		return
	}
	for i := range runs {
		d.gateForge(ctx, &runs[i])
	}
}
