package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/driftgate/driftgate/planner"
	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/planner/drift"
	"github.com/driftgate/driftgate/planner/tfrun"
)

// planOutput is what `driftgate plan -o json` prints.
type planOutput struct {
	Stack            planner.Stack `json:"stack"`
	Root             string        `json:"root"`
	RunID            string        `json:"run_id,omitempty"`
	StorePath        string        `json:"store,omitempty"`
	TerraformVersion string        `json:"terraform_version"`
	// State is the state a stack without a backend was planned against;
	// nil for a stack with a backend of its own.
	State *planStateOutput `json:"state,omitempty"`
	// Product is what planned: "terraform" or "opentofu".
	Product    string             `json:"product"`
	HasChanges bool               `json:"has_changes"`
	Analysis   *analysis.Analysis `json:"analysis"`
	// Drift is the drift engine's reading of this plan, as the daemon
	// records it: status and findings with causes.
	Drift *localDrift `json:"drift"`
}

// planStateOutput says which state a plan of a stack without a backend
// read: the file, and whose it is.
type planStateOutput struct {
	Path string `json:"path"`
	// Repo is the daemon's repo whose state it is; empty for the state of
	// the stack's directory, where terraform itself keeps it.
	Repo string `json:"repo,omitempty"`
}

// String describes the state for text output.
func (s planStateOutput) String() string {
	if s.Repo == "" {
		return s.Path + " (the directory's own)"
	}
	return s.Path + " (the daemon's, repo " + s.Repo + ")"
}

// localDrift is the drift status and findings of one local plan.
type localDrift struct {
	Status   drift.Status    `json:"status"`
	Findings []drift.Finding `json:"findings"`
}

// evaluateDrift reads a local plan as a first drift check: no earlier
// findings, no apply known to driftgate.
func evaluateDrift(stack planner.Stack, a *analysis.Analysis) *localDrift {
	rules := make([]drift.Rule, 0, len(stack.IgnoreDrift))
	for _, r := range stack.IgnoreDrift {
		rules = append(rules, drift.Rule{Resources: r.Resources, Attributes: r.Attributes})
	}
	res := drift.Evaluate(nil, drift.Check{At: time.Now().UTC(), Analysis: a, Rules: rules})
	if res.Open == nil {
		res.Open = []drift.Finding{}
	}
	return &localDrift{Status: res.Status, Findings: res.Open}
}

func writePlanText(w io.Writer, out planOutput, text []byte, noText bool) {
	fmt.Fprintf(w, "Stack:     %s (%s)\n", out.Stack.Name, out.Stack.Dir)
	// "Terraform: 1.11.4" or "OpenTofu:  1.10.10".
	fmt.Fprintf(w, "%-11s%s\n", tfrun.Product(out.Product).Name()+":", out.TerraformVersion)
	if out.State != nil {
		fmt.Fprintf(w, "State:     %s\n", out.State)
	}
	if out.RunID != "" {
		fmt.Fprintf(w, "Run:       %s (recorded in %s)\n", out.RunID, out.StorePath)
	}
	a := out.Analysis
	s := a.Summary
	fmt.Fprintf(w, "\nPlan: %d to add, %d to change, %d to destroy, %d to replace, %d to import; %d output changes.\n",
		s.Add, s.Change, s.Destroy, s.Replace, s.Import, s.OutputChanges)

	writeDrift(w, out.Drift)
	if len(a.Changes) > 0 {
		fmt.Fprintln(w, "\nChanges:")
		for _, c := range a.Changes {
			line := fmt.Sprintf("  %s %s %s", actionSymbol(c.Action), c.Address, c.Action)
			if c.Importing {
				line += " (import " + c.ImportID + ")"
			}
			if c.Reason != "" {
				line += " [" + c.Reason + "]"
			}
			fmt.Fprintln(w, line)
			writeAttributes(w, c.Attributes, c.Action == analysis.ActionCreate)
		}
	}
	for _, o := range a.Outputs {
		fmt.Fprintf(w, "  output %s: %s -> %s\n", o.Name, formatValue(o.Before, false), formatValue(o.After, o.Unknown))
	}
	if !noText && len(text) > 0 {
		fmt.Fprintln(w, "\n--- terraform plan (redacted) ---")
		fmt.Fprint(w, strings.TrimLeft(string(text), "\n"))
	}
}

// writeDrift prints the drift status and findings: what changed outside
// Terraform and why, what the plan would change that no drift explains, and
// what ignore_drift accepts.
func writeDrift(w io.Writer, d *localDrift) {
	if d == nil {
		return
	}
	fmt.Fprintf(w, "\nDrift: %s\n", d.Status)
	for _, f := range d.Findings {
		what := string(f.Kind) + " outside Terraform"
		symbol := "~"
		switch f.Kind {
		case drift.KindDeleted:
			symbol = "-"
		case drift.KindPending:
			what, symbol = "not applied yet", ">"
		}
		line := fmt.Sprintf("  %s %s: %s (%s)", symbol, f.Address, what, f.Cause)
		if f.Accepted {
			line += ", accepted by ignore_drift " + f.Rule
		}
		fmt.Fprintln(w, line)
		if f.Kind != drift.KindPending {
			for _, at := range f.Attributes {
				fmt.Fprintf(w, "      %s: %s -> %s\n", at.Path, formatValue(at.Before, false), formatValue(at.After, at.Unknown))
			}
		}
	}
}

// writeAttributes lists changed attributes: "path: before -> after", or
// "path = value" for a resource being created.
func writeAttributes(w io.Writer, attrs []analysis.AttributeChange, create bool) {
	for _, at := range attrs {
		if create {
			fmt.Fprintf(w, "      %s = %s\n", at.Path, formatValue(at.After, at.Unknown))
			continue
		}
		fmt.Fprintf(w, "      %s: %s -> %s\n", at.Path, formatValue(at.Before, false), formatValue(at.After, at.Unknown))
	}
}

// formatValue renders a value on one line, shortened for the terminal.
func formatValue(v any, unknown bool) string {
	if unknown {
		return "(known after apply)"
	}
	if v == nil {
		return "null"
	}
	if s, ok := v.(string); ok && s == analysis.Marker {
		return s
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	const max = 60
	if len(raw) > max {
		return string(raw[:max-3]) + "..."
	}
	return string(raw)
}

func actionSymbol(a analysis.Action) string {
	switch a {
	case analysis.ActionCreate:
		return "+"
	case analysis.ActionDelete:
		return "-"
	case analysis.ActionReplace:
		return "±"
	case analysis.ActionUpdate:
		return "~"
	case analysis.ActionRead:
		return "<="
	}
	return " "
}
