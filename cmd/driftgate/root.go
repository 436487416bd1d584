package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.buildVersion=...".
var buildVersion = "dev"

// globals are the flags every command takes.
type globals struct {
	stdout, stderr io.Writer
	logLevel       string
}

func (g *globals) logger() *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		level = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "driftgate",
		Short: "GitOps runner for Terraform: plans every commit, checks drift, applies only approved plans",
		Long: `driftgate watches infrastructure repositories, finds their Terraform stacks,
plans every commit, checks stacks for drift and keeps every run in an
embedded database.

Local commands (no daemon needed):
  driftgate discover PATH               list the stacks in a checkout
  driftgate affected PATH --from A --to B   stacks a change affects
  driftgate plan DIR                    plan one stack, print summary and drift
  driftgate set DIR|URL --file F --var NAME=VALUE   set a variable, push it`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "warn", "log level for local commands: debug, info, warn or error")
	root.AddCommand(
		newServeCmd(g),
		newPlanCmd(g),
		newDiscoverCmd(g),
		newAffectedCmd(g),
		newReposCmd(g),
		newStacksCmd(g),
		newRunsCmd(g),
		newShowCmd(g),
		newPlanStackCmd(g),
		newCancelCmd(g),
		newWaitCmd(g),
		newLogsCmd(g),
		newAuditCmd(g),
		newApproveCmd(g),
		newRejectCmd(g),
		newApplyCmd(g),
		newLocksCmd(g),
		newReleaseCmd(g),
		newNodesCmd(g),
		newDriftCmd(g),
		newStateCmd(g),
		newVersionCmd(g),
		newConfigCmd(g),
		newStoreCmd(g),
		newSetCmd(g),
	)
	return root
}

// outputFormat validates an -o flag value.
func outputFormat(v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("unknown output format %q: use one of %v", v, allowed)
}
