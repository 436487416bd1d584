package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mitchellh/go-wordwrap"
	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/runner/apiclient"
)

// Layout of `driftgate drift show`.
const (
	labelWidth    = len("Last check: ") // the widest label; values line up after it
	findingIndent = "  "                // a finding's wrapped header
	attrIndent    = "    "              // a finding's attributes
	maxAttrPath   = 40                  // an attribute path is cut beyond this
)

// driftCatchUpPolls bounds how many times `drift check --wait` reads the
// stack's drift state after its check finished, waiting for the daemon to
// record the check: the run is stored as finished first.
const driftCatchUpPolls = 5

func newDriftCmd(g *globals) *cobra.Command {
	var f *clientFlags
	var repo string
	var exitCodeFlag bool
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "List the stacks' drift state; show or check one stack's drift",
		Long: `List the drift state of every stack of a driftgate server as of its
last check: in_sync, drifted (resources changed outside Terraform),
pending_changes (the plan would change resources without an out-of-band
change explaining it), errored (the last check failed) or unknown (never
checked). OPEN counts the open findings, ACCEPTED those an ignore_drift rule
accepts.

With --exit-code, exit 2 when any listed stack is drifted or has pending
changes and 0 otherwise, for CI; errored and unknown stacks do not change the
exit status. Without it, exit 0.

  driftgate drift show REPO STACK     a stack's findings with their attributes
  driftgate drift check REPO STACK    check a stack now`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.connect()
			if err != nil {
				return err
			}
			views, err := c.Drift(cmd.Context(), repo)
			if err != nil {
				return f.explain(err)
			}
			if f.json() {
				err = writeJSON(g, map[string]any{"stacks": nonNilSlice(views)})
			} else if len(views) == 0 {
				fmt.Fprintln(g.stdout, "No stacks.")
			} else {
				err = writeDriftTable(g.stdout, views, time.Now())
			}
			if err != nil || !exitCodeFlag {
				return err
			}
			for _, v := range views {
				if v.Status == apiv1.DriftDrifted || v.Status == apiv1.DriftPendingChanges {
					return exitCode(exitChanges)
				}
			}
			return nil
		},
	}
	f = addClientFlags(cmd)
	cmd.Flags().StringVar(&repo, "repo", "", "only the stacks of this repo")
	cmd.Flags().BoolVar(&exitCodeFlag, "exit-code", false, "exit 2 when a stack is drifted or has pending changes")
	cmd.AddCommand(newDriftShowCmd(g), newDriftCheckCmd(g))
	return cmd
}

func newDriftShowCmd(g *globals) *cobra.Command {
	var f *clientFlags
	var history int
	cmd := &cobra.Command{
		Use:   "show REPO STACK",
		Short: "Show a stack's drift state and its findings",
		Long: `Show the drift state of STACK in REPO: its status, its last check, and
each finding (a resource changed outside Terraform, or that the plan would
change) with its attributes before -> after. Sensitive values print as
"(sensitive value)"; long values are shortened (-o json has them whole).
Open findings come first, then up to --history resolved ones, newest first.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if history < 0 || history > apiv1.MaxDriftHistory {
				return fmt.Errorf("--history %d is out of range: give 0 to %d", history, apiv1.MaxDriftHistory)
			}
			c, err := f.connect()
			if err != nil {
				return err
			}
			v, err := c.StackDrift(cmd.Context(), args[0], args[1], history)
			if err != nil {
				return f.explain(err)
			}
			if f.json() {
				return writeJSON(g, v)
			}
			writeStackDrift(g.stdout, v, time.Now())
			return nil
		},
	}
	f = addClientFlags(cmd)
	cmd.Flags().IntVar(&history, "history", apiv1.DefaultDriftHistory,
		"show at most this many resolved findings (0 to "+strconv.Itoa(apiv1.MaxDriftHistory)+")")
	return cmd
}

func newDriftCheckCmd(g *globals) *cobra.Command {
	var f *clientFlags
	var wait bool
	var every time.Duration
	cmd := &cobra.Command{
		Use:   "check REPO STACK",
		Short: "Queue a drift check of a stack at its branch head",
		Long: `Queue a drift check of STACK in REPO at the head of the repo's branch,
ahead of its schedule. With --wait, wait for the check to finish, print its
outcome and the stack's drift state, and exit like ` + "`driftgate wait`" + `:
0 no changes, 2 changes (drift or pending changes), 1 otherwise.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.connect()
			if err != nil {
				return err
			}
			run, err := c.CheckDrift(cmd.Context(), args[0], args[1])
			if err != nil {
				return f.explain(err)
			}
			if f.json() && !wait {
				return writeJSON(g, run)
			}
			if !f.json() {
				next := "Follow it with: driftgate wait " + run.ID
				if wait {
					next = "Waiting for it to finish."
				}
				fmt.Fprintf(g.stdout, "Queued drift check run %s of %s at %s.\n%s\n",
					run.ID, stackName(run.Repo, run.Stack), shortCommit(run.Commit), next)
			}
			if !wait {
				return nil
			}
			return waitDriftCheck(cmd.Context(), g, f, c, run.ID, every)
		},
	}
	f = addClientFlags(cmd)
	cmd.Flags().BoolVar(&wait, "wait", false, "wait for the check to finish; exit 0 no changes, 2 changes, 1 otherwise")
	cmd.Flags().DurationVar(&every, "interval", defaultEvery, "how often to poll the run while waiting")
	return cmd
}

// waitDriftCheck waits for the check run id to finish, prints its outcome
// and the stack's drift state, and returns the exit code of its status.
func waitDriftCheck(ctx context.Context, g *globals, f *clientFlags, c *apiclient.Client, id string, every time.Duration) error {
	run, err := c.Wait(ctx, id, every)
	if err != nil {
		return f.explain(err)
	}
	v, err := recordedDrift(ctx, c, run, every)
	if err != nil {
		return f.explain(err)
	}
	if f.json() {
		if err := writeJSON(g, struct {
			Run   *apiv1.Run        `json:"run"`
			Drift *apiv1.StackDrift `json:"drift"`
		}{run, v}); err != nil {
			return err
		}
		return runExit(run.Status)
	}
	fmt.Fprintln(g.stdout, finalLine(run))
	fmt.Fprintln(g.stdout, driftLine(v, time.Now()))
	if v.RunID != run.ID {
		fmt.Fprintln(g.stdout, "The check recorded no drift state; this is the state of an earlier check.")
	}
	return runExit(run.Status)
}

// recordedDrift reads the drift state of a finished check's stack. A check
// that planned or errored updates it right after the run is stored as
// finished, so it is read again (every interval, at most
// driftCatchUpPolls times) until it names the run; other checks leave it
// as it was.
func recordedDrift(ctx context.Context, c *apiclient.Client, run *apiv1.Run, every time.Duration) (*apiv1.StackDrift, error) {
	records := run.Status == apiv1.StatusPlanned || run.Status == apiv1.StatusNoChanges || run.Status == apiv1.StatusErrored
	var v *apiv1.StackDrift
	for i := range driftCatchUpPolls {
		if i > 0 {
			select {
			case <-ctx.Done():
				return v, nil
			case <-time.After(every):
			}
		}
		var err error
		if v, err = c.StackDrift(ctx, run.Repo, run.Stack, 0); err != nil || !records || v.RunID == run.ID {
			return v, err
		}
	}
	return v, nil
}

// writeDriftTable writes one line per stack.
func writeDriftTable(w io.Writer, views []apiv1.StackDrift, now time.Time) error {
	rows := make([][]string, len(views))
	for i, v := range views {
		open, accepted := strconv.Itoa(v.Open), strconv.Itoa(v.Accepted)
		if v.CheckedAt.IsZero() {
			open, accepted = "-", "-"
		}
		rows[i] = []string{
			stackName(v.Repo, v.Stack), string(v.Status), open, accepted,
			age(now, v.CheckedAt), shortCommit(v.Commit),
		}
	}
	return writeTable(w, []column{
		{title: "REPO/STACK", flex: true}, {title: "STATUS"}, {title: "OPEN"}, {title: "ACCEPTED"},
		{title: "CHECKED"}, {title: "COMMIT"},
	}, rows)
}

// driftState is a stack's status with its counts of findings, as
// "drifted (1 open, 1 accepted)", or "unknown (never checked)".
func driftState(sd *apiv1.StackDrift) string {
	if sd.Status == apiv1.DriftUnknown || sd.Status == "" {
		return string(apiv1.DriftUnknown) + " (never checked)"
	}
	var counts []string
	if sd.Open > 0 || sd.Status == apiv1.DriftDrifted || sd.Status == apiv1.DriftPendingChanges {
		counts = append(counts, fmt.Sprintf("%d open", sd.Open))
	}
	if sd.Accepted > 0 {
		counts = append(counts, fmt.Sprintf("%d accepted", sd.Accepted))
	}
	if len(counts) == 0 {
		return string(sd.Status)
	}
	return string(sd.Status) + " (" + strings.Join(counts, ", ") + ")"
}

// driftLine is a stack's drift state on one line of at most tableWidth
// columns: "infra/network drifted (1 open), checked 2m ago at 0123456",
// with the first line of the error of a failed check.
func driftLine(v *apiv1.StackDrift, now time.Time) string {
	line := stackName(v.Repo, v.Stack) + " " + driftState(v)
	if !v.CheckedAt.IsZero() {
		line += fmt.Sprintf(", checked %s ago at %s", age(now, v.CheckedAt), shortCommit(v.Commit))
	}
	if v.Error != "" {
		first, _, _ := strings.Cut(strings.TrimSpace(v.Error), "\n")
		line += ": " + first
	}
	return truncate(oneLine(line), tableWidth)
}

// writeStackDrift prints a stack's drift state, last check and findings,
// within tableWidth columns.
func writeStackDrift(w io.Writer, v *apiv1.StackDrift, now time.Time) {
	pad := strings.Repeat(" ", labelWidth)
	line := func(label, value string) {
		wrapped := wordwrap.WrapString(oneLine(value), uint(tableWidth-labelWidth))
		fmt.Fprintf(w, "%-*s%s\n", labelWidth, label, strings.ReplaceAll(wrapped, "\n", "\n"+pad))
	}
	line("Stack:", stackName(v.Repo, v.Stack))
	line("Status:", driftState(v))
	if v.CheckedAt.IsZero() {
		line("Last check:", "never")
	} else {
		line("Last check:", fmt.Sprintf("%s ago, run %s, commit %s", age(now, v.CheckedAt), dash(v.RunID), shortCommit(v.Commit)))
	}
	if a := v.LastApplied; a != nil {
		line("Last apply:", fmt.Sprintf("%s ago, run %s, commit %s", age(now, a.At), dash(a.RunID), shortCommit(a.Commit)))
	}
	if v.Error != "" {
		fmt.Fprintln(w, "Error:")
		for _, l := range strings.Split(strings.TrimRight(v.Error, "\n"), "\n") {
			if l = strings.TrimRight(l, " \t\r"); l == "" {
				fmt.Fprintln(w)
				continue
			}
			wrapped := wordwrap.WrapString(oneLine(l), tableWidth-2)
			fmt.Fprintln(w, "  "+strings.ReplaceAll(wrapped, "\n", "\n  "))
		}
	}

	var open, resolved []apiv1.DriftFinding
	for _, f := range v.Findings {
		if f.Open() {
			open = append(open, f)
		} else {
			resolved = append(resolved, f)
		}
	}
	switch {
	case len(open) > 0:
		fmt.Fprintf(w, "\nOpen findings (%d):\n", len(open))
		for _, f := range open {
			writeFinding(w, f, now)
		}
	case v.CheckedAt.IsZero():
		fmt.Fprintf(w, "\nCheck it now: driftgate drift check %s %s\n", v.Repo, v.Stack)
	default:
		fmt.Fprintln(w, "\nNo open findings.")
	}
	if len(resolved) > 0 {
		fmt.Fprintf(w, "\nResolved findings (%d, newest first):\n", len(resolved))
		for _, f := range resolved {
			writeFinding(w, f, now)
		}
	}
}

// writeFinding prints a finding's header, "~ address  kind  cause  when",
// and its attributes, one per line. A header wider than tableWidth puts
// "when" on wrapped lines of its own, and cuts the middle of an address
// too long for one line.
func writeFinding(w io.Writer, f apiv1.DriftFinding, now time.Time) {
	mark := "~"
	if f.Kind == string(analysis.DriftDeleted) {
		mark = "-"
	}
	tail := "  " + f.Kind + "  " + f.Cause
	room := tableWidth - len(mark) - 1 - utf8.RuneCountInString(tail)
	head := mark + " " + cutMiddle(oneLine(f.Address), max(room, minCell)) + tail
	when := findingWhen(f, now)
	if utf8.RuneCountInString(head)+2+utf8.RuneCountInString(when) <= tableWidth {
		fmt.Fprintln(w, head+"  "+when)
	} else {
		wrapped := wordwrap.WrapString(when, uint(tableWidth-len(findingIndent)))
		fmt.Fprintln(w, head+"\n"+findingIndent+strings.ReplaceAll(wrapped, "\n", "\n"+findingIndent))
	}
	for _, a := range f.Attributes {
		fmt.Fprintln(w, attrLine(a))
	}
}

// findingWhen says when a finding was seen and resolved, and by which rule
// it is accepted.
func findingWhen(f apiv1.DriftFinding, now time.Time) string {
	var parts []string
	if !f.FirstSeen.IsZero() {
		parts = append(parts, "first seen "+age(now, f.FirstSeen)+" ago")
	}
	switch {
	case !f.Open():
		parts = append(parts, "resolved "+age(now, f.ResolvedAt)+" ago")
	case !f.LastSeen.IsZero():
		parts = append(parts, "last seen "+age(now, f.LastSeen)+" ago")
	}
	switch {
	case f.Accepted && f.Rule != "":
		parts = append(parts, "accepted by "+oneLine(f.Rule))
	case f.Accepted:
		parts = append(parts, "accepted")
	}
	return strings.Join(parts, ", ")
}

// attrLine is an attribute's `path: before -> after`, indented, within
// tableWidth columns: values are JSON on one line, cut with "…" when they
// do not fit, and sensitive values are analysis.Marker.
func attrLine(a apiv1.DriftAttribute) string {
	path := cutMiddle(oneLine(a.Path), maxAttrPath)
	before, after := attrValue(a.Before, a.Sensitive), attrValue(a.After, a.Sensitive)
	room := tableWidth - len(attrIndent) - utf8.RuneCountInString(path) - len(": ") - len(" -> ")
	before, after = fitPair(before, after, room)
	return attrIndent + path + ": " + before + " -> " + after
}

// attrValue formats an attribute's value as JSON on one line, without
// escaping HTML characters. The redaction marker, and any non-null value of
// a sensitive attribute, print as the marker without quotes.
func attrValue(v any, sensitive bool) string {
	if s, ok := v.(string); (ok && s == analysis.Marker) || (sensitive && v != nil) {
		return analysis.Marker
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%v", v)
	}
	return strings.TrimRight(buf.String(), "\n")
}

// fitPair shortens a and b so that together they take at most n
// characters: the shorter keeps its length when it needs at most half.
func fitPair(a, b string, n int) (string, string) {
	la, lb := utf8.RuneCountInString(a), utf8.RuneCountInString(b)
	half := max(n/2, minCell)
	switch {
	case la+lb <= n:
		return a, b
	case la <= half:
		return a, truncate(b, max(n-la, minCell))
	case lb <= half:
		return truncate(a, max(n-lb, minCell)), b
	}
	return truncate(a, half), truncate(b, max(n-half, minCell))
}

// cutMiddle shortens s to n characters by replacing its middle with "…",
// keeping more of the end, where addresses and paths name the resource.
func cutMiddle(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n < 3 {
		return truncate(s, n)
	}
	head := (n - 1) / 3
	return string(r[:head]) + "…" + string(r[len(r)-(n-1-head):])
}
