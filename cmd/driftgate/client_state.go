package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/planner/statever"
	"github.com/driftgate/driftgate/runner/api/apiv1"
)

// Layout of `driftgate state history`.
const (
	shaLen     = 12 // hex digits of a state's sha256 shown
	lineageLen = 8  // characters of a lineage shown: its first UUID group
)

func newStateCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state",
		Short: "List a stack's recorded state versions; diff two of them",
		Long: `driftgate records every Terraform state version of a stack it sees, with
each sensitive value replaced by a keyed fingerprint ("(sensitive value
hmac:…)"): the same secret always shows the same fingerprint, a changed
secret a different one.

  driftgate state history REPO STACK      the recorded versions, newest first
  driftgate state diff REPO STACK A B     what changed from serial A to B`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newStateHistoryCmd(g), newStateDiffCmd(g))
	return cmd
}

func newStateHistoryCmd(g *globals) *cobra.Command {
	var f *clientFlags
	var limit int
	cmd := &cobra.Command{
		Use:   "history REPO STACK",
		Short: "List a stack's recorded state versions, newest first",
		Long: `List the state versions driftgate recorded of STACK in REPO, newest
first: each version's serial, how long ago it was recorded, the run that
recorded it, how many resource instances it holds, and the start of its
sha256 and lineage (-o json has them whole). A new lineage means the state
was replaced rather than updated.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 0 {
				return fmt.Errorf("--limit %d is negative: give a positive number, or 0 for every version", limit)
			}
			c, err := f.connect()
			if err != nil {
				return err
			}
			versions, err := c.StateVersions(cmd.Context(), args[0], args[1], limit)
			if err != nil {
				return f.explain(err)
			}
			if f.json() {
				return writeJSON(g, map[string]any{"versions": nonNilSlice(versions)})
			}
			if len(versions) == 0 {
				fmt.Fprintf(g.stdout, "No state versions recorded for %s.\n", stackName(args[0], args[1]))
				return nil
			}
			return writeStateHistory(g.stdout, versions, time.Now())
		},
	}
	f = addClientFlags(cmd)
	cmd.Flags().IntVar(&limit, "limit", 0, "show at most this many versions (0: all)")
	return cmd
}

func newStateDiffCmd(g *globals) *cobra.Command {
	var f *clientFlags
	var exitCodeFlag bool
	cmd := &cobra.Command{
		Use:   "diff REPO STACK FROM TO",
		Short: "Show what changed between two recorded state versions",
		Long: `Show what changed in the state of STACK in REPO from serial FROM to
serial TO (see ` + "`driftgate state history`" + `): resource instances added (+),
removed (-) and changed (~), each changed attribute as
path: before -> after, and the root outputs that changed. Values are JSON on
one line, shortened when long (-o json has them whole); sensitive values
show as their fingerprints, "(sensitive value hmac:…)", which differ when
the secret changed.

With --exit-code, exit 2 when the versions differ and 0 otherwise.`,
		Args: cobra.ExactArgs(4),
		RunE: func(cmd *cobra.Command, args []string) error {
			from, err := parseSerialArg("FROM", args[2])
			if err != nil {
				return err
			}
			to, err := parseSerialArg("TO", args[3])
			if err != nil {
				return err
			}
			c, err := f.connect()
			if err != nil {
				return err
			}
			d, err := c.StateDiff(cmd.Context(), args[0], args[1], from, to)
			if err != nil {
				return f.explain(err)
			}
			if f.json() {
				err = writeJSON(g, d)
			} else {
				writeStateDiff(g.stdout, args[0], args[1], d)
			}
			if err != nil || !exitCodeFlag || d.Changes.Empty() {
				return err
			}
			return exitCode(exitChanges)
		},
	}
	f = addClientFlags(cmd)
	cmd.Flags().BoolVar(&exitCodeFlag, "exit-code", false, "exit 2 when the versions differ")
	return cmd
}

// parseSerialArg parses the state serial argument name: a positive whole
// number.
func parseSerialArg(name, arg string) (uint64, error) {
	n, err := strconv.ParseUint(arg, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%s %q is not a state serial: give a positive whole number, as `driftgate state history` shows them", name, arg)
	}
	return n, nil
}

// writeStateHistory writes one line per state version.
func writeStateHistory(w io.Writer, versions []apiv1.StateVersion, now time.Time) error {
	rows := make([][]string, len(versions))
	for i, v := range versions {
		rows[i] = []string{
			strconv.FormatUint(v.Serial, 10), age(now, v.CreatedAt), dash(shortRunID(v.RunID)),
			strconv.Itoa(v.Resources), dash(truncateRaw(v.SHA256, shaLen)), dash(truncateRaw(v.Lineage, lineageLen)),
		}
	}
	return writeTable(w, []column{
		{title: "SERIAL", flex: true}, {title: "CREATED"}, {title: "RUN"}, {title: "RESOURCES"},
		{title: "SHA"}, {title: "LINEAGE"},
	}, rows)
}

// writeStateDiff prints a state diff within tableWidth columns: a summary
// line, the resources added, removed and changed (with their attributes),
// then the outputs that changed; "No differences." when nothing did.
func writeStateDiff(w io.Writer, repo, stack string, d *apiv1.StateDiff) {
	c := &d.Changes
	if c.Empty() {
		fmt.Fprintln(w, "No differences.")
		return
	}
	head := fmt.Sprintf("%s, serial %d -> %d: %s", stackName(repo, stack), d.From, d.To, diffCounts(c))
	fmt.Fprintln(w, truncate(oneLine(head), tableWidth))
	if c.LineageChanged {
		fmt.Fprintln(w, "The lineage changed: the state was replaced, not updated.")
	}
	if len(c.Added)+len(c.Removed)+len(c.Changed) > 0 {
		fmt.Fprintln(w)
	}
	address := func(mark, a string) string {
		return mark + " " + cutMiddle(oneLine(a), tableWidth-len(mark)-1)
	}
	for _, a := range c.Added {
		fmt.Fprintln(w, address("+", a))
	}
	for _, a := range c.Removed {
		fmt.Fprintln(w, address("-", a))
	}
	for _, rc := range c.Changed {
		fmt.Fprintln(w, address("~", rc.Address))
		for _, a := range rc.Attributes {
			fmt.Fprintln(w, valueLine(attrIndent, cutMiddle(oneLine(a.Path), maxAttrPath),
				stateValue(a.Before), stateValue(a.After)))
		}
	}
	if len(c.Outputs) == 0 {
		return
	}
	fmt.Fprintln(w, "\nOutputs:")
	for _, o := range c.Outputs {
		name := cutMiddle(oneLine(o.Name), maxAttrPath)
		switch o.Action {
		case statever.ActionAdd:
			fmt.Fprintln(w, valueLine("", "+ "+name, stateValue(o.After)))
		case statever.ActionRemove:
			fmt.Fprintln(w, valueLine("", "- "+name, stateValue(o.Before)))
		default:
			fmt.Fprintln(w, valueLine("", "~ "+name, stateValue(o.Before), stateValue(o.After)))
		}
	}
}

// diffCounts counts what changed: "1 added, 2 changed, 1 output changed".
func diffCounts(c *statever.Changes) string {
	var parts []string
	for _, n := range []struct {
		n    int
		what string
	}{{len(c.Added), "added"}, {len(c.Removed), "removed"}, {len(c.Changed), "changed"}} {
		if n.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n.n, n.what))
		}
	}
	switch n := len(c.Outputs); {
	case n == 1:
		parts = append(parts, "1 output changed")
	case n > 1:
		parts = append(parts, fmt.Sprintf("%d outputs changed", n))
	}
	if len(parts) == 0 {
		return "lineage changed"
	}
	return strings.Join(parts, ", ")
}

// shownValue is a value as a diff prints it; markers are kept whole, for a
// cut fingerprint tells nothing.
type shownValue struct {
	text string
	keep bool
}

// stateValue formats a value of a state diff: a redaction marker as is,
// anything else as JSON on one line.
func stateValue(v any) shownValue {
	if statever.IsMarker(v) {
		return shownValue{text: v.(string), keep: true}
	}
	return shownValue{text: attrValue(v, false)}
}

// valueLine is `indent+label: value` or `indent+label: before -> after`
// within tableWidth columns. Values that do not fit are cut with "…", but
// markers never are: when the markers leave too little room next to the
// label, the values go on a line of their own below it, indented two more
// columns.
func valueLine(indent, label string, vals ...shownValue) string {
	sep := len(" -> ") * (len(vals) - 1)
	line := indent + label + ":"
	room := tableWidth - utf8.RuneCountInString(line) - 1 - sep
	need := 0 // the least the values take: markers whole, the others cut
	for _, v := range vals {
		if n := utf8.RuneCountInString(v.text); v.keep || n <= minCell {
			need += n
		} else {
			need += minCell
		}
	}
	if need > room {
		inner := indent + "  "
		return line + "\n" + inner + joinValues(fitValues(vals, tableWidth-len(inner)-sep))
	}
	return line + " " + joinValues(fitValues(vals, room))
}

// fitValues shortens the values that are not kept so that all take at most
// n characters where they can.
func fitValues(vals []shownValue, n int) []shownValue {
	out := append([]shownValue(nil), vals...)
	total := 0
	for _, v := range out {
		total += utf8.RuneCountInString(v.text)
	}
	switch {
	case total <= n:
	case len(out) == 1 && !out[0].keep:
		out[0].text = truncate(out[0].text, max(n, minCell))
	case len(out) != 2:
	case !out[0].keep && !out[1].keep:
		out[0].text, out[1].text = fitPair(out[0].text, out[1].text, n)
	case !out[0].keep:
		out[0].text = truncate(out[0].text, max(n-utf8.RuneCountInString(out[1].text), minCell))
	case !out[1].keep:
		out[1].text = truncate(out[1].text, max(n-utf8.RuneCountInString(out[0].text), minCell))
	}
	return out
}

// joinValues joins values with " -> ".
func joinValues(vals []shownValue) string {
	texts := make([]string, len(vals))
	for i, v := range vals {
		texts[i] = v.text
	}
	return strings.Join(texts, " -> ")
}
