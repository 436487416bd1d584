package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/driftgate/driftgate/planner"
	"github.com/driftgate/driftgate/planner/tfrun"
	"github.com/driftgate/driftgate/runner"
	"github.com/driftgate/driftgate/store"
)

type planFlags struct {
	output      string
	configFile  string
	dataDir     string
	storeDir    string
	repo        string
	workspace   string
	refreshOnly bool
	keepWorkdir bool
	noText      bool
}

func newPlanCmd(g *globals) *cobra.Command {
	f := &planFlags{}
	cmd := &cobra.Command{
		Use:   "plan DIR",
		Short: "Plan one stack locally and print the summary, the drift and the redacted plan",
		Long: `Plan the Terraform stack in DIR without a daemon: init, plan -out and
show -json in a private copy of the stack (the directory is never written
to). Prints the summary, the drift found by refresh and the redacted plan.

Exit status: 0 no changes, 2 changes, 1 error (like terraform -detailed-exitcode).

A stack without a backend block is planned against the state terraform
itself uses in DIR: terraform.tfstate, or terraform.tfstate.d/<workspace>
for the workspace selected there (TF_WORKSPACE, terraform workspace
select). With --config of a daemon, it is planned against the daemon's
state of that stack instead, so a stack the daemon applied plans as no
changes; --repo says which of the daemon's repos DIR is a checkout of.

A stack whose Terraform files do not parse is not planned: the errors are
printed and the exit status is 1.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlan(cmd, g, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	fl.StringVar(&f.configFile, "config", "", "server config file to take data_dir and terraform settings from, and whose daemon's state to plan against")
	fl.StringVar(&f.dataDir, "data-dir", "", "data dir for the plugin cache, init caches and terraform installs, and with --config the daemon's state (default: the config's, else ~/.local/share/driftgate)")
	fl.StringVar(&f.storeDir, "store", "", "record the run in the driftgate store in this data dir (its plan file sealed with the --config file's encryption key, if any)")
	fl.StringVar(&f.repo, "repo", "", "with --config: the daemon's repo DIR is a checkout of, whose state to plan against (default: the config's only repo)")
	fl.StringVar(&f.workspace, "workspace", "", "terraform workspace (default: the stack's, else without --config the one selected in DIR, else default)")
	fl.BoolVar(&f.refreshOnly, "refresh-only", false, "plan with -refresh-only: report drift, propose no configuration changes")
	fl.BoolVar(&f.keepWorkdir, "keep-workdir", false, "keep the private copy of the stack for debugging")
	fl.BoolVar(&f.noText, "no-text", false, "omit terraform's own plan text from text output")
	return cmd
}

func runPlan(cmd *cobra.Command, g *globals, f *planFlags, dir string) error {
	if err := outputFormat(f.output, "text", "json"); err != nil {
		return err
	}
	if f.repo != "" && f.configFile == "" {
		return errors.New("--repo names a repo of a daemon's config: pass that file with --config too")
	}
	ctx := cmd.Context()
	logger := g.logger()
	cfg, err := localConfig(f.configFile, f.dataDir)
	if err != nil {
		return err
	}
	ls, diags, err := planner.FindLocalStack(ctx, dir, f.workspace)
	if err != nil {
		if ls != nil && ls.Config != nil {
			fmt.Fprint(g.stderr, formatDiagnostics(ls.Config.Files, diags))
		}
		return err
	}
	if broken := configErrors(ls.Problems); len(broken) > 0 {
		writeProblems(g.stderr, broken)
		return fmt.Errorf("stack %s has configuration errors, so it was not planned: fix them and run again", ls.Stack.Name)
	}
	for _, p := range ls.Problems {
		fmt.Fprintf(g.stderr, "warning: %s\n", p)
	}
	abs := filepath.Join(ls.Root, filepath.FromSlash(ls.Stack.Dir))
	pl := newPlanner(cfg, logger)
	state, err := choosePlanState(f, cfg, pl, ls, abs)
	if err != nil {
		return err
	}
	spec := runner.StackPlan(os.DirFS(ls.Root), ls.Stack, state.initCacheKey(abs), nil)
	spec.RefreshOnly = f.refreshOnly
	state.apply(&spec)
	state.warnMissing(g, ls.Stack)
	out := planOutput{Stack: ls.Stack, Root: ls.Root, State: state.output(ls.Stack)}
	pl.KeepWorkdirs = f.keepWorkdir
	var res *tfrun.PlanResult
	if f.storeDir != "" {
		st, err := store.Open(f.storeDir, store.Options{Logger: logger, EncryptionKey: cfg.Encryption.Key})
		if err != nil {
			return err
		}
		defer st.Close()
		run := &store.Run{Stack: ls.Stack.Name, Dir: abs, Trigger: "local", Operation: store.OperationPlan}
		pr := &runner.PlanRunner{Store: st, Planner: pl, Logger: logger}
		res, err = pr.Execute(ctx, run, spec)
		out.RunID, out.StorePath = run.ID, st.Path()
		if err != nil {
			return planFailed(g, res, err)
		}
	} else {
		res, err = pl.Plan(ctx, spec)
		if err != nil {
			return planFailed(g, res, err)
		}
	}
	out.TerraformVersion, out.Product = res.TerraformVersion, string(res.Product)
	out.HasChanges = res.HasChanges
	out.Analysis = res.Analysis
	out.Drift = evaluateDrift(ls.Stack, res.Analysis)
	if f.output == "json" {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		writePlanText(g.stdout, out, res.Text, f.noText)
	}
	if res.HasChanges {
		return exitCode(exitChanges)
	}
	return nil
}

// configErrors returns the problems that make terraform fail before it
// plans: those with an error diagnostic (HCL that does not parse, a local
// module that is missing or outside the repo).
func configErrors(problems []planner.Problem) []planner.Problem {
	var out []planner.Problem
	for _, p := range problems {
		for _, d := range p.Diagnostics {
			if d.Severity == planner.SeverityError {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// planFailed prints the redacted log of a failed plan, which holds
// terraform's diagnostics, and returns the error to report: when the log
// was printed, only its first line, since the rest repeats terraform's
// output.
func planFailed(g *globals, res *tfrun.PlanResult, err error) error {
	var nb *tfrun.NoBinaryError
	if errors.As(err, &nb) {
		return err
	}
	if res != nil && len(res.Log) > 0 {
		g.stderr.Write(res.Log)
		fmt.Fprintln(g.stderr)
		return fmt.Errorf("plan failed: %w", shownError{err})
	}
	return fmt.Errorf("plan failed: %w", err)
}

// shownError is an error whose details were already printed: it reads as
// its first line.
type shownError struct{ err error }

func (e shownError) Error() string {
	first, _, _ := strings.Cut(e.err.Error(), "\n")
	return strings.TrimSpace(first)
}

func (e shownError) Unwrap() error { return e.err }

// localConfig is the configuration of a local command: the file when one
// is named, else defaults; --data-dir overrides either.
func localConfig(file, dataDir string) (*Config, error) {
	cfg := defaultConfig()
	if file != "" {
		loaded, parser, diags := LoadConfig(file)
		if diags.HasErrors() {
			return nil, errors.New("invalid config:\n" + FormatDiagnostics(parser, diags))
		}
		cfg = loaded
	}
	if dataDir != "" {
		abs, err := filepath.Abs(dataDir)
		if err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
		cfg.DataDir = abs
	}
	return cfg, nil
}
