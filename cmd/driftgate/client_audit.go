package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/runner/api/apiv1"
)

func newAuditCmd(g *globals) *cobra.Command {
	var f *clientFlags
	var filter apiv1.AuditFilter
	var action string
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "List the audit log, newest first (admin)",
		Long: `List the audit log of a driftgate server, newest first: who planned,
approved, rejected, applied, canceled or released what, and which requests
were refused. It needs an admin token. Filters match exactly; -o json
prints whole entries.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.connect()
			if err != nil {
				return err
			}
			filter.Action = apiv1.AuditAction(action)
			entries, next, err := c.Audit(cmd.Context(), filter)
			if err != nil {
				return f.explain(err)
			}
			if f.json() {
				return writeJSON(g, struct {
					Entries    []apiv1.AuditEntry `json:"entries"`
					NextCursor string             `json:"next_cursor"`
				}{nonNilSlice(entries), next})
			}
			if len(entries) == 0 {
				fmt.Fprintln(g.stdout, "No audit entries.")
				return nil
			}
			if err := writeAuditTable(g, entries, time.Now()); err != nil {
				return err
			}
			if next != "" {
				fmt.Fprintf(g.stdout, "\nMore entries: add --cursor %s\n", next)
			}
			return nil
		},
	}
	f = addClientFlags(cmd)
	cmd.Flags().StringVar(&filter.Repo, "repo", "", "only entries about this repo")
	cmd.Flags().StringVar(&filter.Stack, "stack", "", "only entries about this stack")
	cmd.Flags().StringVar(&filter.Actor, "actor", "", "only entries of this token name")
	cmd.Flags().StringVar(&action, "action", "", "only entries of this action, as the ACTION column shows it")
	cmd.Flags().IntVar(&filter.Limit, "limit", 0, "at most this many entries (default: the server's page size)")
	cmd.Flags().StringVar(&filter.Cursor, "cursor", "", "continue a listing where the last page ended")
	return cmd
}

// writeAuditTable writes audit entries as a table.
func writeAuditTable(g *globals, entries []apiv1.AuditEntry, now time.Time) error {
	rows := make([][]string, len(entries))
	for i, e := range entries {
		target := dash(stackName(e.Repo, e.Stack))
		if e.RunID != "" {
			target += " " + shortRunID(e.RunID)
		}
		rows[i] = []string{age(now, e.Time), e.Actor, string(e.Action), string(e.Result), target, dash(e.Detail)}
	}
	return writeTable(g.stdout, []column{
		{title: "AGE"}, {title: "ACTOR", max: 12, flex: true}, {title: "ACTION", max: 14, flex: true}, {title: "RESULT"},
		{title: "TARGET", flex: true}, {title: "DETAIL", flex: true},
	}, rows)
}
