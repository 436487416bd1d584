package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/store"
)

// Reviewers approved what the PR comment showed them: the PR's last plan
// of a stack. An apply of the merge commit applies its own plan, so the
// PR's approvals carry over only when that plan makes the same changes:
// the same resources, actions and attribute values (before and after),
// and the same output changes, compared on the redacted analyses both
// plans stored. Drift the plans merely report is not compared; drift a
// plan would revert shows up as a change.

// maxDiffItems is how many differing addresses a difference names.
const maxDiffItems = 3

// reviewedPlanDiff says how the plan an apply run applies differs from
// the last plan of its stack made for PR pr, "" when they make the same
// changes. The PR's last plan must be of its final head and have
// finished; anything else differs too.
func (d *Daemon) reviewedPlanDiff(ctx context.Context, run *store.Run, pr *store.PRRecord) (string, error) {
	runs, _, err := d.store.ListRuns(ctx, store.RunFilter{Repo: run.Repo, Stack: run.Stack, PR: pr.Number, Operation: OperationPlan, Limit: 1})
	if err != nil {
		return "", fmt.Errorf("find the last plan of stack %s for PR #%d: %w", run.Stack, pr.Number, err)
	}
	if len(runs) == 0 {
		return fmt.Sprintf("PR #%d never planned stack %s, so its reviewers saw no plan of it", pr.Number, run.Stack), nil
	}
	last := runs[0]
	switch {
	case last.Commit != pr.HeadSHA:
		return fmt.Sprintf("PR #%d's last plan of stack %s (run %s) is of commit %s, not of its final head %s",
			pr.Number, run.Stack, last.ID, shortSHA(last.Commit), shortSHA(pr.HeadSHA)), nil
	case last.Status != store.StatusPlanned && last.Status != store.StatusNoChanges:
		return fmt.Sprintf("PR #%d's last plan of stack %s (run %s) is %s, not a finished plan", pr.Number, run.Stack, last.ID, last.Status), nil
	}
	reviewed, err := d.planAnalysis(ctx, last.ID)
	if err != nil {
		return "", err
	}
	merged, err := d.planAnalysis(ctx, run.Binding.PlanRun)
	if err != nil {
		return "", err
	}
	if diff := changeDiff(reviewed, merged); diff != "" {
		return fmt.Sprintf("the plan of commit %s (run %s) makes other changes than PR #%d's plan of its head (run %s): %s",
			shortSHA(run.Commit), run.Binding.PlanRun, pr.Number, last.ID, diff), nil
	}
	return "", nil
}

// planAnalysis reads the stored analysis of run id's plan.
func (d *Daemon) planAnalysis(ctx context.Context, id string) (*analysis.Analysis, error) {
	p, err := d.store.GetPlan(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read the plan of run %s: %w", id, err)
	}
	var a analysis.Analysis
	if err := json.Unmarshal(p.Analysis, &a); err != nil {
		return nil, fmt.Errorf("decode the plan analysis of run %s: %w", id, err)
	}
	return &a, nil
}

// changeDiff compares the changes of the reviewed plan with those of the
// plan to apply and says, for up to maxDiffItems addresses, what differs:
// "" when both make the same changes.
func changeDiff(reviewed, applied *analysis.Analysis) string {
	was, now := changeSet(reviewed), changeSet(applied)
	var keys []string
	for k := range was {
		keys = append(keys, k)
	}
	for k := range now {
		if _, ok := was[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []string
	n := 0
	for _, k := range keys {
		w, inWas := was[k]
		a, inNow := now[k]
		var what string
		switch {
		case !inWas:
			what = k + " is changed (" + a.action + ") but was not in the reviewed plan"
		case !inNow:
			what = k + " was in the reviewed plan (" + w.action + ") but is not changed"
		case w.action != a.action:
			what = k + " is " + a.action + ", reviewed as " + w.action
		case !bytes.Equal(w.body, a.body):
			what = k + " changes other attribute values than reviewed"
		default:
			continue
		}
		n++
		if len(out) < maxDiffItems {
			out = append(out, what)
		}
	}
	if n > len(out) {
		out = append(out, fmt.Sprintf("and %d more", n-len(out)))
	}
	return strings.Join(out, "; ")
}

// change is one resource or output change, canonically encoded.
type change struct {
	action string
	body   []byte
}

// changeSet keys a plan's resource and output changes by address
// ("output.NAME" for outputs). The encoding covers the action and every
// redacted attribute value; JSON encodes map keys sorted, so equal
// changes encode equal.
func changeSet(a *analysis.Analysis) map[string]change {
	out := map[string]change{}
	if a == nil {
		return out
	}
	for _, c := range a.Changes {
		body, _ := json.Marshal(struct {
			Action       analysis.Action
			Attributes   []analysis.AttributeChange
			ReplacePaths []string
			Importing    bool
			ImportID     string
		}{c.Action, c.Attributes, c.ReplacePaths, c.Importing, c.ImportID})
		out[c.Address] = change{action: string(c.Action), body: body}
	}
	for _, o := range a.Outputs {
		body, _ := json.Marshal(o)
		out["output."+o.Name] = change{action: string(o.Action), body: body}
	}
	return out
}

// shortSHA is a commit id shortened for a message.
func shortSHA(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
