package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/driftgate/driftgate/planner"
	"github.com/driftgate/driftgate/runner/forge"
	"github.com/driftgate/driftgate/store"
)

// prStore is what the PR flow needs from the store.
type prStore interface {
	webhookStore
	UpdatePR(ctx context.Context, repo string, number int, change func(*store.PRRecord) error) (*store.PRRecord, error)
	GetPR(ctx context.Context, repo string, number int) (*store.PRRecord, error)
	PRByMergeCommit(ctx context.Context, repo, commit string) (*store.PRRecord, error)
	QueueOutbox(ctx context.Context, items ...store.OutboxItem) error
	outboxStore
}

// runEvents acts on verified webhook deliveries, one at a time, until ctx
// ends. An event that fails is logged: the forge's next event, a comment
// command or polling makes up for it.
func (d *Daemon) runEvents(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case we := <-d.events:
			if err := d.handleEvent(ctx, we.repo, we.ev); err != nil && ctx.Err() == nil {
				d.logger.Warn("webhook event failed", logRepo, we.repo, logEvent, we.ev.Kind, logDelivery, we.ev.DeliveryID, logErr, err)
			}
		}
	}
}

// handleEvent acts on one event of repo.
func (d *Daemon) handleEvent(ctx context.Context, repo string, ev *forge.Event) error {
	rc, ok := d.repoConfig(repo)
	if !ok || rc.Forge == nil {
		return fmt.Errorf("repo %q has no forge any more", repo)
	}
	switch ev.Kind {
	case forge.EventPush:
		if ev.Push != nil && ev.Push.Branch == rc.Branch {
			d.pokeRepo(ctx, repo)
		}
	case forge.EventPR:
		return d.handlePR(ctx, rc, ev.PR)
	case forge.EventComment:
		return d.handleCommand(ctx, rc, ev.Comment)
	}
	return nil
}

// handlePR records the PR and plans, cancels or records its merge.
func (d *Daemon) handlePR(ctx context.Context, rc RepoConfig, pe *forge.PREvent) error {
	pr := pe.PR
	rec, err := d.handlePRRecord(ctx, rc, &pr)
	if err != nil {
		return err
	}
	log := d.logger.With(logRepo, rc.Name, logPR, pr.Number)
	switch pe.Action {
	case forge.PROpened, forge.PRReopened, forge.PRSynchronized, forge.PRReadyForReview:
		if pr.State != forge.PROpen {
			return nil
		}
		return d.planPR(ctx, rc, &pr, "", false)
	case forge.PRClosedAction:
		if pr.State == forge.PRMerged {
			// The merge commit reaches the tracked branch; the PR recorded on
			// it is what the apply gate reads.
			log.Info("PR merged", logCommit, rec.MergeCommit)
			d.recordReviews(ctx, rc, pr.Number)
			// The merge commit's applies may be waiting already, when
			// polling found the commit before the webhook came.
			d.gateMerged(ctx, rc.Name, rec.MergeCommit)
			d.pokeRepo(ctx, rc.Name)
			return nil
		}
		n, err := d.cancelPRRuns(ctx, rc.Name, pr.Number)
		log.Info("PR closed without merge: queued runs canceled", logCount, n)
		if err != nil {
			return err
		}
		d.reportPR(ctx, rc.Name, pr.Number)
	}
	return nil
}

// handlePRRecord records what the forge says of pr.
func (d *Daemon) handlePRRecord(ctx context.Context, rc RepoConfig, pr *forge.PullRequest) (*store.PRRecord, error) {
	return d.store.UpdatePR(ctx, rc.Name, pr.Number, func(r *store.PRRecord) error {
		r.HeadSHA, r.BaseRef, r.Author = pr.HeadSHA, pr.BaseRef, pr.Author
		r.State, r.Draft, r.FromFork = string(pr.State), pr.Draft, pr.FromFork
		if pr.MergeCommitSHA != "" {
			r.MergeCommit = pr.MergeCommitSHA
		}
		return nil
	})
}

// recordReviews stores the reviews of a merged PR on its record, for the
// apply gate. A forge failure is logged: the record keeps what it had.
func (d *Daemon) recordReviews(ctx context.Context, rc RepoConfig, number int) {
	reviews, err := rc.Forge.Client.Reviews(ctx, number)
	if err != nil {
		d.logger.Warn("read the reviews of a merged PR", logRepo, rc.Name, logPR, number, logErr, err)
		return
	}
	_, err = d.store.UpdatePR(ctx, rc.Name, number, func(r *store.PRRecord) error {
		r.Reviews = r.Reviews[:0]
		for _, rv := range reviews {
			r.Reviews = append(r.Reviews, store.PRReview{ID: rv.ID, User: rv.User, State: string(rv.State), CommitSHA: rv.CommitSHA, SubmittedAt: rv.SubmittedAt})
		}
		return nil
	})
	if err != nil {
		d.logger.Error("record the reviews of a merged PR", logRepo, rc.Name, logPR, number, logErr, err)
	}
}

// cancelPRRuns cancels the queued runs of a PR.
func (d *Daemon) cancelPRRuns(ctx context.Context, repo string, number int) (int, error) {
	runs, _, err := d.store.ListRuns(ctx, store.RunFilter{Repo: repo, PR: number, Status: store.StatusQueued, Limit: store.MaxListLimit})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range runs {
		if _, err := cancelQueued(ctx, d.store, r.ID, fmt.Sprintf("canceled: PR #%d was closed", number)); err != nil && !errors.Is(err, store.ErrConflict) {
			return n, err
		}
		n++
	}
	return n, nil
}

// planPR plans the stacks pr affects at its head, or only the stack named
// only. Forks are skipped unless the repo allows them, drafts unless it
// does or a user asked (asked: a /driftgate plan comment).
func (d *Daemon) planPR(ctx context.Context, rc RepoConfig, pr *forge.PullRequest, only string, asked bool) error {
	log := d.logger.With(logRepo, rc.Name, logPR, pr.Number)
	switch {
	case pr.FromFork && !rc.Forge.AllowForkPRs:
		log.Info("PR from a fork not planned: a plan runs the PR's code with the stack's credentials (set allow_fork_prs = true to plan them)")
		return nil
	case pr.Draft && !rc.Forge.PlanDrafts && !asked:
		log.Info("draft PR not planned (set plan_drafts = true to plan drafts)")
		return nil
	case pr.BaseRef != "" && pr.BaseRef != rc.Branch:
		log.Info("PR not planned: it targets " + pr.BaseRef + ", not the tracked branch " + rc.Branch)
		return nil
	}
	w, ok := d.watcher(rc.Name)
	if !ok {
		return fmt.Errorf("repo %q is not watched", rc.Name)
	}
	m, err := w.openMirror(ctx)
	if err != nil {
		return err
	}
	head, err := m.FetchRef(ctx, rc.Forge.headRef(pr.Number))
	if err != nil {
		return err
	}
	base, err := m.Head()
	if err != nil {
		if base, err = m.Fetch(ctx); err != nil {
			return err
		}
	}
	repo := m.Repo()
	mb, err := repo.MergeBase(ctx, base, head)
	if err != nil {
		return err
	}
	changed, err := repo.ChangedFiles(ctx, mb, head)
	if err != nil {
		return err
	}
	fsys, err := repo.TreeFS(head)
	if err != nil {
		return err
	}
	cfg, diags := planner.LoadRepoConfig(fsys)
	if diags.HasErrors() {
		return repoConfigError(cfg, diags, head)
	}
	disc, err := planner.Discover(ctx, fsys, planner.DiscoverOptions{Config: cfg})
	if err != nil {
		return fmt.Errorf("discover stacks at %s: %w", short(head), err)
	}
	reasons := map[string]string{}
	for _, a := range planner.Affected(disc.Stacks, changed) {
		reasons[a.Stack] = strings.Join(a.Reasons, "; ")
	}
	if only != "" {
		why := reasons[only]
		if why == "" {
			why = "asked for by a /driftgate plan comment"
		}
		reasons = map[string]string{only: why}
	}
	var names []string
	for _, s := range disc.Stacks {
		why, ok := reasons[s.Name]
		if !ok {
			continue
		}
		run := &store.Run{
			Repo: rc.Name, Stack: s.Name, Dir: s.Dir, Commit: head.String(),
			Trigger: TriggerPullRequest, Operation: OperationPlan, PR: pr.Number,
			Attrs: map[store.AttrKey]string{store.AttrReasons: why},
		}
		if err := d.enqueue(ctx, run); err != nil {
			return err
		}
		names = append(names, s.Name)
	}
	if only != "" && len(names) == 0 {
		return fmt.Errorf("no stack %q at %s", only, short(head))
	}
	_, err = d.store.UpdatePR(ctx, rc.Name, pr.Number, func(r *store.PRRecord) error {
		if r.PlannedHead != head.String() || only == "" {
			r.PlannedStacks = nil
		}
		r.PlannedHead = head.String()
		for _, n := range names {
			if !slices.Contains(r.PlannedStacks, n) {
				r.PlannedStacks = append(r.PlannedStacks, n)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	log.Info("PR planned", logCommit, short(head), logStacks, strings.Join(names, ","))
	d.reportPR(ctx, rc.Name, pr.Number)
	return nil
}
