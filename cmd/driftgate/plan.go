package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

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

A stack without a backend block gets driftgate's local default: its state
lives under the data dir, so it survives between runs.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlan(cmd, g, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "text", "output format: text or json")
	fl.StringVar(&f.configFile, "config", "", "server config file to take data_dir and terraform settings from")
	fl.StringVar(&f.dataDir, "data-dir", "", "data dir for state, plugin cache and terraform installs (default: the config's, else ~/.local/share/driftgate)")
	fl.StringVar(&f.storeDir, "store", "", "record the run in the driftgate store in this data dir (its plan file sealed with the --config file's encryption key, if any)")
	fl.StringVar(&f.workspace, "workspace", "", "terraform workspace (default: the stack's, else default)")
	fl.BoolVar(&f.refreshOnly, "refresh-only", false, "plan with -refresh-only: report drift, propose no configuration changes")
	fl.BoolVar(&f.keepWorkdir, "keep-workdir", false, "keep the private copy of the stack for debugging")
	fl.BoolVar(&f.noText, "no-text", false, "omit terraform's own plan text from text output")
	return cmd
}

func runPlan(cmd *cobra.Command, g *globals, f *planFlags, dir string) error {
	if err := outputFormat(f.output, "text", "json"); err != nil {
		return err
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
	for _, p := range ls.Problems {
		fmt.Fprintf(g.stderr, "warning: %s\n", p)
	}
	abs := filepath.Join(ls.Root, filepath.FromSlash(ls.Stack.Dir))
	sum := sha256.Sum256([]byte(abs))
	stateKey := "local/" + filepath.Base(abs) + "-" + hex.EncodeToString(sum[:4])
	spec := runner.StackPlan(os.DirFS(ls.Root), ls.Stack, stateKey, nil)
	spec.RefreshOnly = f.refreshOnly

	pl := newPlanner(cfg, logger)
	pl.KeepWorkdirs = f.keepWorkdir
	out := planOutput{Stack: ls.Stack, Root: ls.Root}
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
	out.TerraformVersion = res.TerraformVersion
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

// planFailed prints the redacted log of a failed plan, which holds
// terraform's diagnostics, and returns the error to report.
func planFailed(g *globals, res *tfrun.PlanResult, err error) error {
	if res != nil && len(res.Log) > 0 {
		g.stderr.Write(res.Log)
		fmt.Fprintln(g.stderr)
	}
	var nb *tfrun.NoBinaryError
	if errors.As(err, &nb) {
		return err
	}
	return fmt.Errorf("plan failed: %w", err)
}

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
