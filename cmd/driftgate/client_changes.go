package main

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/driftgate/driftgate/planner/analysis"
	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/runner/apiclient"
)

// runChanges reads the attribute-level changes of a finished plan or drift
// check run from its redacted plan JSON (GET /api/v1/runs/{id}/plan); nil
// for other runs and runs without a plan.
func runChanges(ctx context.Context, c *apiclient.Client, r *apiv1.Run) (*analysis.Analysis, error) {
	if r.Status != apiv1.StatusPlanned && r.Status != apiv1.StatusNoChanges {
		return nil, nil
	}
	p, err := c.Plan(ctx, r.ID)
	if apiclient.IsStatus(err, http.StatusNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	a, _, err := analysis.Analyze(p)
	if err != nil {
		return nil, fmt.Errorf("read the plan of run %s: %w", r.ID, err)
	}
	return a, nil
}

// writeRunChanges prints what a plan changes, attribute by attribute
// (values as the server redacted them), what changed outside Terraform,
// and the outputs that change.
func writeRunChanges(w io.Writer, a *analysis.Analysis) {
	if a == nil {
		return
	}
	if len(a.Changes) > 0 {
		fmt.Fprintln(w, "\nChanges:")
		for _, c := range a.Changes {
			writeResourceChange(w, c)
			writeAttributes(w, c.Attributes, c.Action == analysis.ActionCreate)
		}
	}
	if len(a.Drift) > 0 {
		fmt.Fprintln(w, "\nChanged outside Terraform:")
		for _, c := range a.Drift {
			writeResourceChange(w, c)
			writeAttributes(w, c.Attributes, false)
		}
	}
	if len(a.Outputs) > 0 {
		fmt.Fprintln(w, "\nOutputs:")
		for _, o := range a.Outputs {
			fmt.Fprintf(w, "  %s %s: %s -> %s\n", actionSymbol(o.Action), o.Name, formatValue(o.Before, false), formatValue(o.After, o.Unknown))
		}
	}
}

// writeResourceChange prints a resource's line: symbol, address, action.
func writeResourceChange(w io.Writer, c analysis.ResourceChange) {
	line := fmt.Sprintf("  %s %s %s", actionSymbol(c.Action), c.Address, c.Action)
	if c.Kind != "" {
		line = fmt.Sprintf("  %s %s %s", actionSymbol(c.Action), c.Address, c.Kind)
	}
	if c.Importing {
		line += " (import " + c.ImportID + ")"
	}
	fmt.Fprintln(w, line)
}
