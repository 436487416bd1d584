package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mitchellh/go-wordwrap"
	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/runner/api/apiv1"
)

// shortSHALen is how many hex digits of a plan's sha256 show prints.
const shortSHALen = 12

func newApproveCmd(g *globals) *cobra.Command {
	return newDecisionCmd(g, apiv1.DecisionApprove, `Approve an apply run awaiting approval on a driftgate server. The approval
binds to the run's plan: its sha256, commit and the state it was made
against (see `+"`driftgate show RUN`"+`). Once the run has every approval its
stack requires it is queued for apply; until then it keeps waiting, and the
answer says for what. The stack's apply policy may refuse the token: one not
in its approvers list, approving a run it triggered, or a plan that deletes
or replaces resources without the destroy permission. RUN is a run id or the
end of one.`)
}

func newRejectCmd(g *globals) *cobra.Command {
	return newDecisionCmd(g, apiv1.DecisionReject, `Reject an apply run of a driftgate server that has not started: it ends
rejected and applies nothing. The stack's apply policy decides who may
reject, as for `+"`driftgate approve`"+`. RUN is a run id or the end of one.`)
}

// newDecisionCmd is the approve or reject command (d), described by long.
func newDecisionCmd(g *globals, d apiv1.Decision, long string) *cobra.Command {
	var f *clientFlags
	var comment string
	verb := string(d)
	short := "Approve an apply run awaiting approval"
	if d == apiv1.DecisionReject {
		short = "Reject an apply run that has not started"
	}
	cmd := &cobra.Command{
		Use:   verb + " RUN",
		Short: short,
		Long:  long,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, id, err := f.connectRun(ctx, args[0])
			if err != nil {
				return err
			}
			decide := c.ApproveRun
			if d == apiv1.DecisionReject {
				decide = c.RejectRun
			}
			run, err := decide(ctx, id, comment)
			if err != nil {
				return f.explain(err)
			}
			if f.json() {
				return writeJSON(g, run)
			}
			fmt.Fprintln(g.stdout, wordwrap.WrapString(decisionLine(run, d), tableWidth))
			if run.Status == apiv1.StatusQueued {
				fmt.Fprintf(g.stdout, "Follow it with: driftgate wait %s\n", run.ID)
			}
			return nil
		},
	}
	f = addClientFlags(cmd)
	usage := "a comment kept with the approval"
	if d == apiv1.DecisionReject {
		usage = "a comment kept with the rejection, such as why"
	}
	cmd.Flags().StringVar(&comment, "comment", "", usage)
	return cmd
}

// decisionLine is the one-line outcome of approving or rejecting (d) a
// run: who decided (the run's last decision), how many approvals it has,
// and what it does now.
func decisionLine(r *apiv1.Run, d apiv1.Decision) string {
	done := "Approved"
	if d == apiv1.DecisionReject {
		done = "Rejected"
	}
	line := fmt.Sprintf("%s run %s (%s)", done, r.ID, stackName(r.Repo, r.Stack))
	if n := len(r.Approvals); n > 0 && r.Approvals[n-1].Decision == d {
		line += " as " + oneLine(r.Approvals[n-1].Approver)
	}
	if d == apiv1.DecisionApprove {
		n := len(r.Approvers())
		line += fmt.Sprintf(" (%d %s)", n, plural(n, "approval", "approvals"))
	}
	switch {
	case d == apiv1.DecisionReject && r.Status == apiv1.StatusRejected:
		return line + "."
	case d == apiv1.DecisionApprove && r.Status == apiv1.StatusQueued:
		return line + "; queued for apply."
	case r.Status == apiv1.StatusAwaitingApproval && r.Waiting != "":
		return line + "; " + strings.TrimSuffix(oneLine(r.Waiting), ".") + "."
	case r.Status == apiv1.StatusAwaitingApproval:
		return line + "; still awaiting approval."
	}
	return line + "; the run is " + string(r.Status) + "."
}

func newApplyCmd(g *globals) *cobra.Command {
	var f *clientFlags
	var wait bool
	var every time.Duration
	cmd := &cobra.Command{
		Use:   "apply RUN",
		Short: "Queue an apply run whose gate is satisfied",
		Long: `Queue an apply run of a driftgate server that awaits approval but needs
no more: every approval its stack requires was given, or its stack has
apply = "auto" and the plan deletes and replaces nothing. Otherwise the
server says what is missing. RUN is a run id or the end of one.

With --wait, wait for the run to finish and exit like ` + "`driftgate wait`" + `:
0 applied, 1 otherwise (errored, rejected, refused, ...).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, id, err := f.connectRun(ctx, args[0])
			if err != nil {
				return err
			}
			run, err := c.ApplyRun(ctx, id)
			if err != nil {
				return f.explain(err)
			}
			if f.json() && !wait {
				return writeJSON(g, run)
			}
			if !f.json() {
				writeApplyQueued(g.stdout, run, wait)
			}
			if !wait {
				return nil
			}
			return waitRun(ctx, g, f, c, run.ID, every)
		},
	}
	f = addClientFlags(cmd)
	cmd.Flags().BoolVar(&wait, "wait", false, "wait for the run to finish; exit 0 applied, 1 otherwise")
	cmd.Flags().DurationVar(&every, "interval", defaultEvery, "how often to poll the run while waiting")
	return cmd
}

// writeApplyQueued prints that run was queued for apply, and how to follow
// it, or that the command waits (wait).
func writeApplyQueued(w io.Writer, run *apiv1.Run, wait bool) {
	name := stackName(run.Repo, run.Stack)
	if run.Status == apiv1.StatusQueued {
		fmt.Fprintf(w, "Queued run %s (%s) for apply.\n", run.ID, name)
	} else {
		fmt.Fprintf(w, "Run %s (%s) is %s.\n", run.ID, name, run.Status)
	}
	if wait {
		fmt.Fprintln(w, "Waiting for it to finish.")
	} else {
		fmt.Fprintf(w, "Follow it with: driftgate wait %s\n", run.ID)
	}
}

// writeGate prints an apply run's gate, for show: why it waits or was
// refused, the plan it binds to (each with line, which labels and wraps a
// value), and its approvals with their comments.
func writeGate(w io.Writer, r *apiv1.Run, now time.Time, line func(label, value string)) {
	line("Reason", string(r.Reason))
	line("Waiting", oneLine(r.Waiting))
	if b := r.Binding; b != nil {
		line("Binding", bindingText(b))
	}
	if len(r.Approvals) == 0 {
		return
	}
	fmt.Fprintln(w, "Approvals:")
	for _, a := range r.Approvals {
		verb := "decided " + string(a.Decision)
		switch a.Decision {
		case apiv1.DecisionApprove:
			verb = "approved"
		case apiv1.DecisionReject:
			verb = "rejected"
		}
		text := oneLine(a.Approver) + " " + verb + " " + age(now, a.At) + " ago"
		if a.Source != "" && a.Source != apiv1.ApprovalSourceDriftgate {
			text += " via " + oneLine(a.Source)
		}
		if a.Comment != "" {
			text += ": " + oneLine(a.Comment)
		}
		wrapped := wordwrap.WrapString(text, tableWidth-4)
		fmt.Fprintln(w, "  "+strings.ReplaceAll(wrapped, "\n", "\n    "))
	}
}

// bindingText describes what an apply run applies: "plan of run X (sha256
// 0123456789ab), commit 0123456, state serial 3 lineage 5f0c1d2e,
// terraform 1.11.4, destroys resources".
func bindingText(b *apiv1.Binding) string {
	parts := []string{fmt.Sprintf("plan of run %s (sha256 %s)", dash(b.PlanRun), dash(truncateRaw(b.PlanSHA256, shortSHALen)))}
	parts = append(parts, "commit "+shortCommit(b.Commit))
	if b.StateSerial == 0 && b.StateLineage == "" {
		parts = append(parts, "no state yet")
	} else {
		parts = append(parts, fmt.Sprintf("state serial %d lineage %s", b.StateSerial, dash(truncateRaw(b.StateLineage, lineageLen))))
	}
	if b.TerraformVersion != "" {
		parts = append(parts, tfrun.Product(b.Product).Command()+" "+b.TerraformVersion) // terraform 1.11.4, tofu 1.10.10
	}
	if b.Destroys {
		parts = append(parts, "destroys resources")
	}
	return oneLine(strings.Join(parts, ", "))
}
