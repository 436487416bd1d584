package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/runner/api/apiv1"
	"github.com/driftgate/driftgate/runner/apiclient"
)

// defaultProgress is how often waiting prints a progress line when stdout
// is not a terminal.
const defaultProgress = 10 * time.Second

func newLogsCmd(g *globals) *cobra.Command {
	var f *clientFlags
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs RUN",
		Short: "Print a run's log; -f follows it until the run finishes",
		Long: `Print the redacted log of a run of a driftgate server. RUN is a run id
or the end of one, as ` + "`driftgate runs`" + ` shows it.

With -f, print the log as the run writes it, until the run finishes, and
exit like ` + "`driftgate wait`" + `: 0 no changes (or applied), 2 changes
planned, 1 otherwise. An apply's output streams as terraform prints it; a
plan's or drift check's streams line by line, masked of the secrets known
before the plan (sensitive variables' values, the prior state's sensitive
values).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, id, err := f.connectRun(ctx, args[0])
			if err != nil {
				return err
			}
			if !follow {
				l, err := c.Log(ctx, id)
				if err != nil {
					return f.explain(err)
				}
				_, err = g.stdout.Write(l)
				return err
			}
			run, err := c.FollowLog(ctx, id, 0, func(text []byte) error {
				_, err := g.stdout.Write(text)
				return err
			})
			if err != nil {
				return f.explain(err)
			}
			return runExit(run.Status)
		},
	}
	f = addClientFlags(cmd)
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "follow the log until the run finishes; exit like `driftgate wait`")
	return cmd
}

// addProgressFlag registers --progress on a command that waits.
func addProgressFlag(cmd *cobra.Command, f *clientFlags) {
	cmd.Flags().DurationVar(&f.progress, "progress", defaultProgress,
		"when stdout is not a terminal, print a line with the time elapsed this often while waiting (0: never)")
}

// waitRun waits for run id to finish, prints it, and returns the exit code
// of its status. While it waits, a terminal shows the run's log as it is
// written; any other stdout gets a progress line every f.progress. -o json
// prints the finished run alone.
func waitRun(ctx context.Context, g *globals, f *clientFlags, c *apiclient.Client, id string, every time.Duration) error {
	var run *apiv1.Run
	var err error
	if !f.json() && isTerminal(g.stdout) {
		run, err = c.FollowLog(ctx, id, 0, func(text []byte) error {
			_, err := g.stdout.Write(text)
			return err
		})
		if err != nil && ctx.Err() == nil {
			// An older server, or a broken stream: poll instead.
			run, err = nil, nil
		}
	}
	if run == nil && err == nil {
		run, err = c.WaitSeeing(ctx, id, every, progress(g, f, time.Now))
	}
	if err != nil {
		return f.explain(err)
	}
	if f.json() {
		if err := writeJSON(g, run); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(g.stdout, finalLine(run))
	}
	return runExit(run.Status)
}

// progress returns what prints, at most every f.progress, a line saying
// how long a run has been queued or running; nil with -o json or a zero
// --progress.
func progress(g *globals, f *clientFlags, now func() time.Time) func(*apiv1.Run) {
	if f.json() || f.progress <= 0 {
		return nil
	}
	last := now()
	return func(r *apiv1.Run) {
		t := now()
		if t.Sub(last) < f.progress {
			return
		}
		last = t
		since := r.CreatedAt
		if r.Status == apiv1.StatusRunning && !r.StartedAt.IsZero() {
			since = r.StartedAt
		}
		fmt.Fprintf(g.stdout, "%s %s %s for %s\n", r.ID, stackName(r.Repo, r.Stack), r.Status,
			t.Sub(since).Round(time.Second))
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
