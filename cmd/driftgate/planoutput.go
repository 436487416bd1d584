package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/driftgate/driftgate/planner"
	"github.com/driftgate/driftgate/planner/analysis"
)

// planOutput is what `driftgate plan -o json` prints.
type planOutput struct {
	Stack            planner.Stack      `json:"stack"`
	Root             string             `json:"root"`
	RunID            string             `json:"run_id,omitempty"`
	StorePath        string             `json:"store,omitempty"`
	TerraformVersion string             `json:"terraform_version"`
	HasChanges       bool               `json:"has_changes"`
	Analysis         *analysis.Analysis `json:"analysis"`
}

func writePlanText(w io.Writer, out planOutput, text []byte, noText bool) {
	fmt.Fprintf(w, "Stack:     %s (%s)\n", out.Stack.Name, out.Stack.Dir)
	fmt.Fprintf(w, "Terraform: %s\n", out.TerraformVersion)
	if out.RunID != "" {
		fmt.Fprintf(w, "Run:       %s (recorded in %s)\n", out.RunID, out.StorePath)
	}
	a := out.Analysis
	s := a.Summary
	fmt.Fprintf(w, "\nPlan: %d to add, %d to change, %d to destroy, %d to replace, %d to import; %d output changes.\n",
		s.Add, s.Change, s.Destroy, s.Replace, s.Import, s.OutputChanges)

	if len(a.Drift) == 0 {
		fmt.Fprintln(w, "\nDrift: none (no changes made outside Terraform).")
	} else {
		fmt.Fprintf(w, "\nDrift: %d resource(s) changed outside Terraform:\n", len(a.Drift))
		for _, d := range a.Drift {
			fmt.Fprintf(w, "  %s %s (%s outside Terraform)\n", driftSymbol(d.Kind), d.Address, d.Kind)
			writeAttributes(w, d.Attributes, false)
		}
	}
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

func driftSymbol(k analysis.DriftKind) string {
	if k == analysis.DriftDeleted {
		return "-"
	}
	return "~"
}
