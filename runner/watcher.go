package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/hashicorp/hcl/v2"

	"github.com/driftgate/driftgate/planner"
	"github.com/driftgate/driftgate/runner/gitrepo"
	"github.com/driftgate/driftgate/store"
)

// RepoStatus is the state of a watched repository, shown by the API.
type RepoStatus string

// Repository states.
const (
	RepoPending RepoStatus = "pending" // not fetched yet
	RepoOK      RepoStatus = "ok"
	RepoError   RepoStatus = "error" // the last fetch or discovery failed; LastError says why
)

// Triggers of runs the watcher enqueues.
const (
	TriggerInitial   = "initial"    // first sight of the repo: every stack
	TriggerCommit    = "commit"     // new commits: the stacks they affect
	TriggerForcePush = "force-push" // history rewritten: every stack
	TriggerManual    = "manual"
)

// maxBackoff caps the wait between attempts on a failing repo.
const maxBackoff = 10 * time.Minute

// watchStore is what a watcher needs from the store.
type watchStore interface {
	GetRepo(ctx context.Context, name string) (*store.RepoRecord, error)
	PutRepo(ctx context.Context, r *store.RepoRecord) error
	ListStacks(ctx context.Context, repo string) ([]store.StackRecord, error)
	PutStack(ctx context.Context, r *store.StackRecord) error
	DeleteStack(ctx context.Context, repo, name string) error
}

// repoWatcher polls one repository's bare mirror and enqueues a plan for
// every stack each new commit on the tracked branch affects.
type repoWatcher struct {
	cfg     RepoConfig
	dir     string
	store   watchStore
	enqueue func(ctx context.Context, r *store.Run) error
	logger  *slog.Logger

	mu     sync.Mutex
	mirror *gitrepo.Mirror
	poke   chan struct{}
	// fetches observes each fetch; nil observes none.
	fetches fetchMetrics
}

// fetchMetrics observes git fetches.
type fetchMetrics interface {
	Fetch(repo string, took time.Duration, err error)
}

func newRepoWatcher(cfg RepoConfig, dataDir string, st watchStore, enqueue func(context.Context, *store.Run) error, logger *slog.Logger) *repoWatcher {
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	return &repoWatcher{
		cfg:     cfg,
		dir:     filepath.Join(dataDir, "git", cfg.Name+".git"),
		store:   st,
		enqueue: enqueue,
		logger:  logger.With(logRepo, cfg.Name),
		poke:    make(chan struct{}, 1),
	}
}

// Run polls until ctx ends, at the repo's interval with jitter, backing off
// while the repo fails. It returns nil when ctx ends: a failing repo is a
// status, not a daemon failure.
func (w *repoWatcher) Run(ctx context.Context) error {
	if err := w.markPending(ctx); err != nil {
		w.logger.Error("record repo status", logErr, err)
	}
	failures := 0
	for {
		err := w.poll(ctx)
		if ctx.Err() != nil {
			return nil
		}
		delay := jitter(w.cfg.PollInterval)
		if err != nil {
			failures++
			delay = backoff(w.cfg.PollInterval, failures)
			w.logger.Warn("repo poll failed", logErr, err, logRetryIn, delay.Round(time.Second))
			w.recordError(ctx, err)
		} else {
			failures = 0
		}
		select {
		case <-ctx.Done():
			return nil
		case <-w.poke:
		case <-time.After(delay):
		}
	}
}

// Poke asks for a poll now (a webhook, a test).
func (w *repoWatcher) Poke() {
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

// Mirror returns the repo's mirror once it has been opened.
func (w *repoWatcher) Mirror() *gitrepo.Mirror {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.mirror
}

func (w *repoWatcher) openMirror(ctx context.Context) (*gitrepo.Mirror, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.mirror == nil {
		m, err := gitrepo.OpenMirror(ctx, w.dir, w.cfg.URL, w.cfg.Branch, w.cfg.Auth)
		if err != nil {
			return nil, err
		}
		w.mirror = m
	}
	return w.mirror, nil
}

// poll fetches the branch and, when its head moved, enqueues plans.
func (w *repoWatcher) poll(ctx context.Context) error {
	m, err := w.openMirror(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	head, err := m.Fetch(ctx)
	if w.fetches != nil && ctx.Err() == nil {
		w.fetches.Fetch(w.cfg.Name, time.Since(start), err)
	}
	if err != nil {
		return err
	}
	rec, err := w.record(ctx)
	if err != nil {
		return err
	}
	if rec.LastCommit == head.String() {
		if RepoStatus(rec.Status) != RepoOK {
			rec.Status, rec.LastError = string(RepoOK), ""
			return w.store.PutRepo(ctx, rec)
		}
		return nil
	}
	if err := w.plan(ctx, m, rec, head); err != nil {
		return err
	}
	rec.LastCommit = head.String()
	rec.Status, rec.LastError = string(RepoOK), ""
	return w.store.PutRepo(ctx, rec)
}

// plan discovers the stacks at head and enqueues the ones to plan.
func (w *repoWatcher) plan(ctx context.Context, m *gitrepo.Mirror, rec *store.RepoRecord, head plumbing.Hash) error {
	repo := m.Repo()
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
	for _, p := range disc.Problems {
		w.logger.Warn("discovery problem", logCommit, short(head), logDir, p.Dir, logErr, p.Summary)
	}
	if err := w.syncStacks(ctx, disc.Stacks); err != nil {
		return err
	}

	trigger, reasons, err := w.decide(ctx, m, rec.LastCommit, head, disc.Stacks)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(reasons))
	for _, s := range disc.Stacks {
		why, ok := reasons[s.Name]
		if !ok {
			continue
		}
		run := &store.Run{
			Repo: w.cfg.Name, Stack: s.Name, Dir: s.Dir, Commit: head.String(),
			Trigger: trigger, Operation: OperationPlan,
			Attrs: map[store.AttrKey]string{store.AttrReasons: why},
		}
		if rec.LastCommit != "" {
			run.Attrs[store.AttrPreviousCommit] = rec.LastCommit
		}
		if err := w.enqueue(ctx, run); err != nil {
			return err
		}
		names = append(names, s.Name)
	}
	w.logger.Info("new commit", logCommit, short(head), logTrigger, trigger, logStacks, strings.Join(names, ","))
	return nil
}

// decide returns the trigger and, per stack name to plan, why.
func (w *repoWatcher) decide(ctx context.Context, m *gitrepo.Mirror, last string, head plumbing.Hash, stacks []planner.Stack) (string, map[string]string, error) {
	all := func(why string) map[string]string {
		out := make(map[string]string, len(stacks))
		for _, s := range stacks {
			out[s.Name] = why
		}
		return out
	}
	if last == "" {
		return TriggerInitial, all("first sight of the repository"), nil
	}
	prev := plumbing.NewHash(last)
	ok, err := m.IsAncestor(ctx, prev, head)
	if err != nil {
		return "", nil, err
	}
	if !ok {
		w.logger.Warn("history rewritten: planning every stack", logCommit, short(head), logPrevious, short(prev))
		return TriggerForcePush, all(fmt.Sprintf("history rewritten: %s is no longer an ancestor of %s", short(prev), short(head))), nil
	}
	changed, err := m.Repo().ChangedFiles(ctx, prev, head)
	if err != nil {
		return "", nil, err
	}
	out := map[string]string{}
	for _, a := range planner.Affected(stacks, changed) {
		out[a.Stack] = strings.Join(a.Reasons, "; ")
	}
	return TriggerCommit, out, nil
}

// syncStacks records the stacks found at the new head and forgets the ones
// that are gone.
func (w *repoWatcher) syncStacks(ctx context.Context, stacks []planner.Stack) error {
	old, err := w.store.ListStacks(ctx, w.cfg.Name)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, s := range stacks {
		keep[s.Name] = true
		rec := &store.StackRecord{Repo: w.cfg.Name, Name: s.Name, Dir: s.Dir, Attrs: map[store.AttrKey]string{
			store.AttrWorkspace:     s.Workspace,
			store.AttrBackend:       s.Backend,
			store.AttrDriftSchedule: s.DriftSchedule,
			store.AttrOnDrift:       s.OnDrift,
		}}
		if err := w.store.PutStack(ctx, rec); err != nil {
			return err
		}
	}
	for _, o := range old {
		if !keep[o.Name] {
			if err := w.store.DeleteStack(ctx, w.cfg.Name, o.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *repoWatcher) record(ctx context.Context) (*store.RepoRecord, error) {
	rec, err := w.store.GetRepo(ctx, w.cfg.Name)
	if errors.Is(err, store.ErrNotFound) {
		return &store.RepoRecord{Name: w.cfg.Name, URL: w.cfg.URL, Branch: w.cfg.Branch, Status: string(RepoPending)}, nil
	}
	if err != nil {
		return nil, err
	}
	rec.URL, rec.Branch = w.cfg.URL, w.cfg.Branch
	return rec, nil
}

func (w *repoWatcher) markPending(ctx context.Context) error {
	rec, err := w.record(ctx)
	if err != nil {
		return err
	}
	if rec.Status == "" {
		rec.Status = string(RepoPending)
	}
	return w.store.PutRepo(ctx, rec)
}

func (w *repoWatcher) recordError(ctx context.Context, cause error) {
	rec, err := w.record(ctx)
	if err == nil {
		rec.Status, rec.LastError = string(RepoError), cause.Error()
		err = w.store.PutRepo(ctx, rec)
	}
	if err != nil && ctx.Err() == nil {
		w.logger.Error("record repo status", logErr, err)
	}
}

// repoConfigError is the error a broken .driftgate.hcl at head records as
// the repo's LastError: every diagnostic, with its location, source line
// and fix, as `driftgate discover` prints them.
func repoConfigError(cfg *planner.RepoConfig, diags hcl.Diagnostics, head plumbing.Hash) error {
	var files map[string]*hcl.File
	if cfg != nil {
		files = cfg.Files
	}
	return fmt.Errorf("%s at %s has errors, nothing was planned:\n%s", planner.RepoConfigFile, short(head),
		strings.TrimRight(planner.FormatDiagnostics(files, diags), "\n"))
}

// jitter spreads polls of many repos: d ± 10%.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.2-0.1)*float64(d))
}

// backoff doubles the wait per consecutive failure, up to maxBackoff.
func backoff(interval time.Duration, failures int) time.Duration {
	d := interval
	for i := 1; i < failures && d < maxBackoff; i++ {
		d *= 2
	}
	return jitter(min(d, maxBackoff))
}

func short(h plumbing.Hash) string { return h.String()[:12] }
