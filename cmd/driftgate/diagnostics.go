package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/mitchellh/go-wordwrap"

	"github.com/driftgate/driftgate/planner"
)

// FormatDiagnostics renders config diagnostics for a terminal: a
// "file:line:column: error: summary" line, the source line with the range
// underlined, and the detail that says how to fix it.
func FormatDiagnostics(parser *hclparse.Parser, diags hcl.Diagnostics) string {
	var files map[string]*hcl.File
	if parser != nil {
		files = parser.Files()
	}
	return formatDiagnostics(files, diags)
}

func formatDiagnostics(files map[string]*hcl.File, diags hcl.Diagnostics) string {
	return planner.FormatDiagnostics(files, diags)
}

// writeProblems lists discovery problems: each directory's summary, then
// its diagnostics as "file:line:column: severity: summary" with the detail
// that says how to fix it wrapped below.
func writeProblems(w io.Writer, problems []planner.Problem) {
	for _, p := range problems {
		// A long summary (a list of files) wraps within 80 columns.
		summary := wordwrap.WrapString(p.Dir+": "+p.Summary, 76)
		fmt.Fprintf(w, "  %s\n", strings.ReplaceAll(summary, "\n", "\n    "))
		for _, diag := range p.Diagnostics {
			loc := diag.File
			if diag.Line > 0 {
				loc = fmt.Sprintf("%s:%d:%d", diag.File, diag.Line, diag.Column)
			}
			fmt.Fprintf(w, "    %s: %s: %s\n", loc, diag.Severity, diag.Summary)
			if diag.Detail != "" {
				fmt.Fprintf(w, "      %s\n", strings.ReplaceAll(wordwrap.WrapString(diag.Detail, 72), "\n", "\n      "))
			}
		}
	}
}
