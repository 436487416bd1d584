package main

import (
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mitchellh/go-wordwrap"
	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

func newReposCmd(g *globals) *cobra.Command {
	var f *clientFlags
	cmd := &cobra.Command{
		Use:   "repos",
		Short: "List the repos a driftgate server watches, with their sync status",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.connect()
			if err != nil {
				return err
			}
			repos, err := c.Repos(cmd.Context())
			if err != nil {
				return f.explain(err)
			}
			if f.json() {
				return writeJSON(g, map[string]any{"repos": nonNilSlice(repos)})
			}
			if len(repos) == 0 {
				fmt.Fprintln(g.stdout, "No repos: add repo blocks to the server's driftgate.hcl.")
				return nil
			}
			rows := make([][]string, len(repos))
			for i, r := range repos {
				first, _, _ := strings.Cut(r.LastError, "\n")
				rows[i] = []string{r.Name, dash(r.Branch), dash(r.Status), shortCommit(r.LastCommit), dash(first)}
			}
			if err := writeTable(g.stdout, []column{
				{title: "NAME", max: 20, flex: true}, {title: "BRANCH", max: 16, flex: true},
				{title: "STATUS", max: 12}, {title: "LAST COMMIT"}, {title: "LAST ERROR", flex: true},
			}, rows); err != nil {
				return err
			}
			writeRepoErrors(g.stdout, repos)
			return nil
		},
	}
	f = addClientFlags(cmd)
	return cmd
}

// writeRepoErrors prints each repo's last error in full below the repos
// table, whose cell shows only the start of it: every diagnostic of a
// broken .driftgate.hcl, with its source line and its fix. Prose is
// wrapped to the table's width; source lines are kept as they are.
func writeRepoErrors(w io.Writer, repos []apiv1.Repo) {
	header := false
	for _, r := range repos {
		if r.LastError == "" {
			continue
		}
		if !header {
			fmt.Fprintln(w, "\nLast errors:")
			header = true
		}
		fmt.Fprintf(w, "  %s:\n", r.Name)
		const indent = "    "
		for _, line := range strings.Split(strings.TrimRight(r.LastError, "\n"), "\n") {
			if !sourceLine.MatchString(line) {
				line = wordwrap.WrapString(line, uint(tableWidth-len(indent)))
				line = strings.ReplaceAll(line, "\n", "\n"+indent+leadingSpace(line))
			}
			fmt.Fprintln(w, indent+line)
		}
	}
}

// sourceLine matches the source and caret lines of a formatted diagnostic
// ("    3 |   aply = 1", "      |   ^^^^"), which wrapping would garble.
var sourceLine = regexp.MustCompile(`^ *[0-9]* \| `)

// leadingSpace returns the spaces s starts with, so wrapped lines keep
// their indentation.
func leadingSpace(s string) string {
	return s[:len(s)-len(strings.TrimLeft(s, " "))]
}

func newStacksCmd(g *globals) *cobra.Command {
	var f *clientFlags
	var repo string
	cmd := &cobra.Command{
		Use:   "stacks",
		Short: "List the stacks a driftgate server found in its repos",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.connect()
			if err != nil {
				return err
			}
			stacks, err := c.Stacks(cmd.Context(), repo)
			if err != nil {
				return f.explain(err)
			}
			if f.json() {
				return writeJSON(g, map[string]any{"stacks": nonNilSlice(stacks)})
			}
			if len(stacks) == 0 {
				fmt.Fprintln(g.stdout, "No stacks.")
				return nil
			}
			now := time.Now()
			rows := make([][]string, len(stacks))
			for i, s := range stacks {
				rows[i] = []string{dash(s.Repo), s.Name, dash(s.Dir), age(now, s.UpdatedAt)}
			}
			return writeTable(g.stdout, []column{
				{title: "REPO", max: 20, flex: true}, {title: "STACK", flex: true},
				{title: "DIR", flex: true}, {title: "UPDATED"},
			}, rows)
		},
	}
	f = addClientFlags(cmd)
	cmd.Flags().StringVar(&repo, "repo", "", "only the stacks of this repo")
	return cmd
}

// runsFlags are the filters of `driftgate runs`.
type runsFlags struct {
	repo, stack, status, cursor string
	limit, pr                   int
}

func newRunsCmd(g *globals) *cobra.Command {
	var f *clientFlags
	rf := &runsFlags{}
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List runs, newest first",
		Long: `List the runs of a driftgate server, newest first. The ID column shows
the last characters of each run id; show, cancel and wait accept them in
place of the whole id (-o json prints whole ids).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.connect()
			if err != nil {
				return err
			}
			filter := apiv1.RunFilter{
				Repo: rf.repo, Stack: rf.stack, Status: apiv1.RunStatus(rf.status),
				Limit: rf.limit, Cursor: rf.cursor, PR: rf.pr,
			}
			runs, next, err := c.Runs(cmd.Context(), filter)
			if err != nil {
				return f.explain(err)
			}
			if f.json() {
				return writeJSON(g, struct {
					Runs       []apiv1.Run `json:"runs"`
					NextCursor string      `json:"next_cursor"`
				}{nonNilSlice(runs), next})
			}
			if len(runs) == 0 {
				fmt.Fprintln(g.stdout, "No runs.")
				return nil
			}
			if err := writeRunsTable(g, runs, time.Now()); err != nil {
				return err
			}
			if next != "" {
				fmt.Fprintf(g.stdout, "\nMore runs: add --cursor %s\n", next)
			}
			return nil
		},
	}
	f = addClientFlags(cmd)
	cmd.Flags().StringVar(&rf.repo, "repo", "", "only the runs of this repo")
	cmd.Flags().StringVar(&rf.stack, "stack", "", "only the runs of this stack")
	cmd.Flags().StringVar(&rf.status, "status", "", "only runs in this status: queued, running, planned, no_changes, errored, interrupted, superseded, canceled, awaiting_approval, applied, rejected or refused")
	cmd.Flags().IntVar(&rf.limit, "limit", 0, "at most this many runs (default: the server's page size)")
	cmd.Flags().StringVar(&rf.cursor, "cursor", "", "continue a listing where the last page ended")
	cmd.Flags().IntVar(&rf.pr, "pr", 0, "only the runs of this pull request (merge request) number")
	return cmd
}

// writeRunsTable writes runs as a table.
func writeRunsTable(g *globals, runs []apiv1.Run, now time.Time) error {
	rows := make([][]string, len(runs))
	for i, r := range runs {
		trigger := tableTrigger(r.Trigger)
		if r.PR != 0 {
			trigger = "PR #" + strconv.Itoa(r.PR)
		}
		rows[i] = []string{
			shortRunID(r.ID), stackName(r.Repo, r.Stack), tableStatus(r.Status), dash(trigger),
			shortCommit(r.Commit), age(now, r.CreatedAt), summary(r.Summary),
		}
	}
	return writeTable(g.stdout, []column{
		{title: "ID"}, {title: "REPO/STACK", flex: true}, {title: "STATUS"}, {title: "TRIGGER", max: 12},
		{title: "COMMIT"}, {title: "AGE"}, {title: "SUMMARY", max: 12},
	}, rows)
}

// tableStatus is a run status as tables show it: awaiting_approval, seven
// characters wider than any other, is shown as "awaiting" so that it does
// not cut the stack names of an 80-column table.
func tableStatus(s apiv1.RunStatus) string {
	if s == apiv1.StatusAwaitingApproval {
		return "awaiting"
	}
	return string(s)
}

// tableTrigger is a run trigger as tables show it: drift-remediation, five
// characters wider than any other, is shown as "remediation".
func tableTrigger(t string) string {
	if t == "drift-remediation" {
		return "remediation"
	}
	return t
}

// nonNilSlice returns s, or an empty slice for nil, so JSON lists are [].
func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
