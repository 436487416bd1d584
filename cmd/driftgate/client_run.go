package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/mitchellh/go-wordwrap"
	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/runner/apiclient"
)

// Run id forms the run commands accept.
const (
	runIDLen     = 26 // a whole ULID
	minIDSuffix  = 6  // the shortest id suffix resolved
	resolvePages = 20 // pages of runs searched for a suffix
)

func newShowCmd(g *globals) *cobra.Command {
	var f *clientFlags
	var plan, log bool
	cmd := &cobra.Command{
		Use:   "show RUN",
		Short: "Show a run: its fields, summary, changes and error, or its plan or log",
		Long: `Show a run of a driftgate server. RUN is a run id or the end of one,
as ` + "`driftgate runs`" + ` shows it. A finished plan also shows what it
changes, attribute by attribute (before -> after, redacted), and what
changed outside Terraform. --plan prints the run's redacted plan JSON and
--log its log instead.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, id, err := f.connectRun(ctx, args[0])
			if err != nil {
				return err
			}
			switch {
			case plan:
				p, err := c.Plan(ctx, id)
				if err != nil {
					return f.explain(err)
				}
				return writePlanJSON(g, p, f.json())
			case log:
				l, err := c.Log(ctx, id)
				if err != nil {
					return f.explain(err)
				}
				_, err = g.stdout.Write(l)
				return err
			}
			run, err := c.Run(ctx, id)
			if err != nil {
				return f.explain(err)
			}
			if f.json() {
				return writeJSON(g, run)
			}
			changes, err := runChanges(ctx, c, run)
			if err != nil {
				return f.explain(err)
			}
			writeRun(g, run, time.Now(), changes)
			return nil
		},
	}
	f = addClientFlags(cmd)
	cmd.Flags().BoolVar(&plan, "plan", false, "print the run's redacted plan JSON")
	cmd.Flags().BoolVar(&log, "log", false, "print the run's log")
	cmd.MarkFlagsMutuallyExclusive("plan", "log")
	return cmd
}

// writePlanJSON prints plan JSON: as served with -o json, else indented.
func writePlanJSON(g *globals, plan []byte, raw bool) error {
	var buf bytes.Buffer
	if raw || json.Indent(&buf, plan, "", "  ") != nil {
		buf.Reset()
		buf.Write(bytes.TrimRight(plan, "\n"))
	}
	buf.WriteByte('\n')
	_, err := g.stdout.Write(buf.Bytes())
	return err
}

// writeRun prints a run's fields, one per line, wrapped to tableWidth,
// and a plan's attribute-level changes (changes, when not nil).
func writeRun(g *globals, r *apiv1.Run, now time.Time, changes *analysis.Analysis) {
	const indent = "           " // the width of the labels
	line := func(label, value string) {
		if value == "" {
			return
		}
		wrapped := wordwrap.WrapString(value, uint(tableWidth-len(indent)))
		fmt.Fprintf(g.stdout, "%-11s%s\n", label+":", strings.ReplaceAll(wrapped, "\n", "\n"+indent))
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return fmt.Sprintf("%s (%s ago)", t.UTC().Format(time.RFC3339), age(now, t))
	}
	line("Run", r.ID)
	stack := stackName(r.Repo, r.Stack)
	if r.Dir != "" {
		stack += " (" + r.Dir + ")"
	}
	line("Stack", stack)
	line("Status", string(r.Status))
	line("Trigger", r.Trigger)
	line("Operation", string(r.Operation))
	line("Commit", r.Commit)
	line(tfrun.Product(r.Product).Name(), r.TerraformVersion) // Terraform: or OpenTofu:
	line("Created", when(r.CreatedAt))
	line("Started", when(r.StartedAt))
	if d := took(r); d != "" {
		line("Finished", when(r.FinishedAt)+", took "+d)
	}
	if r.Summary != nil {
		line("Summary", summary(r.Summary)+counts(r.Summary))
	}
	writeGate(g.stdout, r, now, line)
	for _, k := range slices.Sorted(maps.Keys(r.Attrs)) {
		line("Attr", string(k)+"="+r.Attrs[k])
	}
	if r.Error != "" {
		fmt.Fprintln(g.stdout, "Error:")
		for _, l := range strings.Split(strings.TrimRight(r.Error, "\n"), "\n") {
			if l = strings.TrimRight(l, " \t\r"); l == "" {
				fmt.Fprintln(g.stdout)
				continue
			}
			wrapped := wordwrap.WrapString(l, tableWidth-2)
			fmt.Fprintln(g.stdout, "  "+strings.ReplaceAll(wrapped, "\n", "\n  "))
		}
	}
	writeRunChanges(g.stdout, changes)
	switch {
	case r.Status.Terminal():
		fmt.Fprintf(g.stdout, "\nPlan: driftgate show %s --plan\nLog:  driftgate show %s --log\n", r.ID, r.ID)
	case r.Status == apiv1.StatusAwaitingApproval:
		fmt.Fprintf(g.stdout, "\nApprove it: driftgate approve %s\nReject it:  driftgate reject %s\n", r.ID, r.ID)
	default:
		fmt.Fprintf(g.stdout, "\nWait for it: driftgate wait %s\n", r.ID)
	}
}

// counts spells out the non-zero counts of a plan summary, as
// " (1 to add, 1 drifted)", or " (no changes)".
func counts(s *apiv1.PlanSummary) string {
	var parts []string
	for _, c := range []struct {
		n    int
		what string
	}{
		{s.Add, "to add"}, {s.Change, "to change"}, {s.Destroy, "to destroy"}, {s.Replace, "to replace"},
		{s.Import, "to import"}, {s.Drifted, "drifted"}, {s.OutputChanges, "output changes"},
	} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	if len(parts) == 0 {
		return " (no changes)"
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func newPlanStackCmd(g *globals) *cobra.Command {
	var f *clientFlags
	var wait bool
	var every time.Duration
	cmd := &cobra.Command{
		Use:   "plan-stack REPO STACK",
		Short: "Queue a plan of a stack at its branch head on a driftgate server",
		Long: `Queue a manual plan of STACK in REPO at the head of the repo's branch.
With --wait, wait for the run to finish and exit like ` + "`driftgate wait`" + `:
0 no changes, 2 changes planned, 1 otherwise.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.connect()
			if err != nil {
				return err
			}
			run, err := c.TriggerPlan(cmd.Context(), args[0], args[1])
			if err != nil {
				return f.explain(err)
			}
			if !wait {
				if f.json() {
					return writeJSON(g, run)
				}
				fmt.Fprintf(g.stdout, "Queued run %s to plan %s at %s.\nFollow it with: driftgate wait %s\n",
					run.ID, stackName(run.Repo, run.Stack), shortCommit(run.Commit), run.ID)
				return nil
			}
			if !f.json() {
				fmt.Fprintf(g.stdout, "Queued run %s to plan %s at %s.\nWaiting for it to finish.\n",
					run.ID, stackName(run.Repo, run.Stack), shortCommit(run.Commit))
			}
			return waitRun(cmd.Context(), g, f, c, run.ID, every)
		},
	}
	f = addClientFlags(cmd)
	cmd.Flags().BoolVar(&wait, "wait", false, "wait for the run to finish; exit 0 no changes, 2 changes, 1 otherwise")
	cmd.Flags().DurationVar(&every, "interval", defaultEvery, "how often to poll the run while waiting")
	addProgressFlag(cmd, f)
	return cmd
}

func newCancelCmd(g *globals) *cobra.Command {
	var f *clientFlags
	cmd := &cobra.Command{
		Use:   "cancel RUN",
		Short: "Cancel a queued run, or stop a running one",
		Long: `Cancel a run of a driftgate server. A queued run is canceled at once; a
running run is asked to stop (terraform is interrupted, never killed) and
ends canceled. RUN is a run id or the end of one.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := f.connectRun(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			run, err := c.CancelRun(cmd.Context(), id)
			if err != nil {
				return f.explain(err)
			}
			if f.json() {
				return writeJSON(g, run)
			}
			name := stackName(run.Repo, run.Stack)
			switch {
			case run.Status == apiv1.StatusCanceled:
				fmt.Fprintf(g.stdout, "Canceled run %s (%s).\n", run.ID, name)
			case !run.Status.Terminal():
				fmt.Fprintf(g.stdout, "Asked run %s (%s, %s) to stop.\nFollow it with: driftgate wait %s\n",
					run.ID, name, run.Status, run.ID)
			default:
				fmt.Fprintf(g.stdout, "Run %s (%s) ended %s.\n", run.ID, name, run.Status)
			}
			return nil
		},
	}
	f = addClientFlags(cmd)
	return cmd
}

func newWaitCmd(g *globals) *cobra.Command {
	var f *clientFlags
	var every time.Duration
	cmd := &cobra.Command{
		Use:   "wait RUN",
		Short: "Wait for a run to finish; exit 0 no changes, 2 changes, 1 otherwise",
		Long: `Wait until a run of a driftgate server finishes and print its final
status. On a terminal the run's log streams meanwhile; otherwise a line
with the time elapsed is printed every --progress. Exit status: 0 no changes (or applied), 2 changes planned, 1
errored, canceled, interrupted, superseded, rejected or refused (and on
errors). RUN is a run id or the end of one.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, id, err := f.connectRun(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return waitRun(cmd.Context(), g, f, c, id, every)
		},
	}
	f = addClientFlags(cmd)
	cmd.Flags().DurationVar(&every, "interval", defaultEvery, "how often to poll the run")
	addProgressFlag(cmd, f)
	return cmd
}

// finalLine is the one-line outcome of a finished run.
func finalLine(r *apiv1.Run) string {
	line := fmt.Sprintf("%s %s %s", r.ID, stackName(r.Repo, r.Stack), r.Status)
	if r.Reason != "" {
		line += " (" + oneLine(string(r.Reason)) + ")"
	}
	if r.Summary != nil {
		line += " " + summary(r.Summary)
	}
	if d := took(r); d != "" {
		line += " (took " + d + ")"
	}
	if r.Error != "" {
		first, _, _ := strings.Cut(strings.TrimSpace(r.Error), "\n")
		line += ": " + first
	}
	return line
}

// runExit maps a finished run's status to the exit status of wait: 0 no
// changes (or an apply that applied), 2 changes planned, 1 for every other
// end, rejected and refused applies included.
func runExit(s apiv1.RunStatus) error {
	switch s {
	case apiv1.StatusNoChanges, apiv1.StatusApplied:
		return nil
	case apiv1.StatusPlanned:
		return exitCode(exitChanges)
	}
	return exitCode(exitError)
}

// connectRun connects to the server and resolves the RUN argument arg
// to a whole run id (see resolveRunID).
func (f *clientFlags) connectRun(ctx context.Context, arg string) (*apiclient.Client, string, error) {
	c, err := f.connect()
	if err != nil {
		return nil, "", err
	}
	id, err := resolveRunID(ctx, c, arg)
	if err != nil {
		return nil, "", f.explain(err)
	}
	return c, id, nil
}

// resolveRunID turns RUN into a whole run id. A whole id (26 characters)
// is used as given; a shorter one is the end of an id, as `driftgate runs`
// shows them, and is looked up among the newest runs (at most
// resolvePages pages of them).
func resolveRunID(ctx context.Context, c *apiclient.Client, arg string) (string, error) {
	arg = strings.TrimPrefix(strings.TrimSpace(arg), "…")
	if len(arg) >= runIDLen {
		return arg, nil
	}
	if len(arg) < minIDSuffix {
		return "", fmt.Errorf("run id %q is too short: give the whole id or its last %d or more characters, as `driftgate runs` shows them", arg, minIDSuffix)
	}
	suffix := strings.ToUpper(arg)
	var matches []string
	page := apiv1.RunFilter{Limit: apiv1.MaxListLimit}
	for range resolvePages {
		runs, next, err := c.Runs(ctx, page)
		if err != nil {
			return "", err
		}
		for _, r := range runs {
			if strings.HasSuffix(strings.ToUpper(r.ID), suffix) {
				matches = append(matches, r.ID)
			}
		}
		// A suffix as long as the table shows holds 50 random bits: the
		// first match is the only one.
		unique := len(matches) == 1 && len(suffix) >= shortIDLen
		if unique || len(matches) > 1 || next == "" {
			break
		}
		page.Cursor = next
	}
	switch len(matches) {
	case 0:
		return "", fmt.Errorf("no run id ends with %q; list runs with `driftgate runs`", arg)
	case 1:
		return matches[0], nil
	}
	return "", fmt.Errorf("run id %q is ambiguous: it ends %s; give more characters", arg, strings.Join(matches, " and "))
}
