package planner

import (
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Severity says whether a Diagnostic is an error or a warning.
type Severity string

// Severities of a Diagnostic.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Diagnostic is one message about a configuration file, located by
// repo-relative file, line and column (1-based; 0 when unknown).
type Diagnostic struct {
	Severity Severity `json:"severity"`
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail,omitempty"`
	File     string   `json:"file,omitempty"`
	Line     int      `json:"line,omitempty"`
	Column   int      `json:"column,omitempty"`
}

// String formats d as "file:line:column: severity: summary; detail".
func (d Diagnostic) String() string {
	var b strings.Builder
	if d.File != "" {
		b.WriteString(d.File)
		if d.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", d.Line, d.Column)
		}
		b.WriteString(": ")
	}
	b.WriteString(string(d.Severity))
	b.WriteString(": ")
	b.WriteString(d.Summary)
	if d.Detail != "" {
		b.WriteString("; ")
		b.WriteString(d.Detail)
	}
	return b.String()
}

// Problem is something discovery could not make sense of in one directory.
// Problems never stop discovery; the rest of the repo is still read.
type Problem struct {
	Dir         string       `json:"dir"`
	Summary     string       `json:"summary"`
	Diagnostics []Diagnostic `json:"diagnostics,omitempty"`
}

// String formats p on one line per diagnostic.
func (p Problem) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", p.Dir, p.Summary)
	for _, d := range p.Diagnostics {
		b.WriteString("\n  ")
		b.WriteString(d.String())
	}
	return b.String()
}

// convertDiagnostics turns hcl diagnostics into Diagnostics.
func convertDiagnostics(diags hcl.Diagnostics) []Diagnostic {
	out := make([]Diagnostic, 0, len(diags))
	for _, d := range diags {
		out = append(out, convertDiagnostic(d))
	}
	return out
}

func convertDiagnostic(d *hcl.Diagnostic) Diagnostic {
	c := Diagnostic{Severity: SeverityError, Summary: d.Summary, Detail: d.Detail}
	if d.Severity == hcl.DiagWarning {
		c.Severity = SeverityWarning
	}
	if d.Subject != nil {
		c.File = d.Subject.Filename
		c.Line = d.Subject.Start.Line
		c.Column = d.Subject.Start.Column
	}
	return c
}

// WriteDiagnostics prints diags with source snippets from the files the repo
// config was parsed from, wrapping at width columns (0: no wrapping).
func (c *RepoConfig) WriteDiagnostics(w io.Writer, diags hcl.Diagnostics, width uint, color bool) error {
	var files map[string]*hcl.File
	if c != nil {
		files = c.Files
	}
	if err := hcl.NewDiagnosticTextWriter(w, files, width, color).WriteDiagnostics(diags); err != nil {
		return fmt.Errorf("write diagnostics: %w", err)
	}
	return nil
}

// FormatDiagnostics renders diags for a terminal or a stored error: a
// "file:line:column: severity: summary" line, the source line from files
// with the range underlined, and the detail that says how to fix it, for
// every diagnostic.
func FormatDiagnostics(files map[string]*hcl.File, diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		if d.Subject != nil {
			fmt.Fprintf(&b, "%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
		}
		fmt.Fprintf(&b, "%s: %s\n", sev, d.Summary)
		if d.Subject != nil {
			if f, ok := files[d.Subject.Filename]; ok {
				writeSnippet(&b, f.Bytes, *d.Subject)
			}
		}
		if d.Detail != "" {
			fmt.Fprintf(&b, "  %s\n", d.Detail)
		}
	}
	return b.String()
}

// writeSnippet prints the first line of rng with a caret line under it.
func writeSnippet(b *strings.Builder, src []byte, rng hcl.Range) {
	lines := strings.Split(string(src), "\n")
	n := rng.Start.Line
	if n < 1 || n > len(lines) {
		return
	}
	line := strings.TrimRight(lines[n-1], "\r")
	fmt.Fprintf(b, "%5d | %s\n", n, line)
	start := rng.Start.Column
	end := rng.End.Column
	if rng.End.Line != rng.Start.Line || end <= start {
		end = len(line) + 1
	}
	if start < 1 {
		start = 1
	}
	pad := strings.Map(func(r rune) rune {
		if r == '\t' {
			return '\t'
		}
		return ' '
	}, string([]rune(line)[:min(start-1, len([]rune(line)))]))
	fmt.Fprintf(b, "      | %s%s\n", pad, strings.Repeat("^", max(1, end-start)))
}
